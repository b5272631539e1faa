"""The PyTorch lesson in Streamlit's AppTest: runnable code, autograd's name under every box,
PyTorch's .grad beside the engine's where PyTorch is installed, and a page that works without
it."""

from __future__ import annotations

import ast
import math
import sys
from collections import Counter

import pytest
from conftest import run_python
from test_lessons import players, run

WALK = """
seen, names, stack = set(), [], [h.grad_fn]
while stack:
    fn = stack.pop()
    if fn is None or id(fn) in seen:
        continue
    seen.add(id(fn))
    names.append(type(fn).__name__)
    stack.extend(f for f, _ in fn.next_functions)
print(sorted(names))
"""


def the_code(at) -> str:
    [code] = [c.value for c in at.code if c.language == "python"]
    return code


def box_names(at) -> list[str]:
    """The last line under each box in the player's first frame: the name shown there."""
    [shown] = players(at)
    patch = shown["deck"]["frames"][0]["patch"]
    return [look["texts"][-1] for element, look in patch.items() if element.startswith("bp-n")]


def test_the_code_for_the_course_function_is_python_and_gives_its_gradient(tmp_path) -> None:
    at = run("pytorch")
    code = the_code(at)
    ast.parse(code)
    assert "x = torch.tensor(1.0, requires_grad=True)" in code and "h.backward()" in code
    pytest.importorskip("torch")
    out = run_python(code + WALK, tmp_path)
    assert "dh/dx = tensor(15.778" in out and "dh/dy = tensor(7.889" in out
    # Every box carries a name, and they are the nodes PyTorch built running that code.
    walked = ast.literal_eval(out.strip().splitlines()[-1])
    assert Counter(box_names(at)) == Counter(walked)
    table = at.dataframe[1].value
    x = table["PyTorch .grad"][0]
    assert x == pytest.approx(1 / 1 + 2 * math.exp(2), rel=1e-12)  # ∂h/∂x = 1/x + y e^(xy)
    assert list(table["|difference|"]) == pytest.approx([0, 0], abs=1e-12)


@pytest.mark.parametrize(
    "expr",
    [
        "(sigmoid(2w + b) - 1)^2 + (sigmoid(-w + b))^2",
        "x^2 + x^y - 1/x",
        "sin(x)*cos(x) - tanh(-x) + tan(x)/2",
    ],
)
def test_every_box_shows_autograd_s_name(expr: str, tmp_path) -> None:
    at = run("pytorch", {"expr": expr})
    names = box_names(at)
    assert all(names) and all(
        n.endswith(("Backward0", "Backward1")) or n in ("AccumulateGrad", "a number: no node")
        for n in names
    )
    code = the_code(at)
    ast.parse(code)
    pytest.importorskip("torch")
    out = run_python(code + WALK, tmp_path, "f.py")
    walked = ast.literal_eval(out.strip().splitlines()[-1])
    assert Counter(n for n in names if n != "a number: no node") == Counter(walked)


def test_at_the_kinks_the_page_says_what_pytorch_returns() -> None:
    at = run("pytorch", {"expr": "relu(x) + abs(y) + sqrt(x^2 + y^2)", "x": "0", "y": "0"})
    said = " ".join(i.value for i in at.info)
    assert "relu at 0" in said and "abs at 0" in said and "sqrt at 0" in said
    assert "PyTorch returns inf" in said and "PyTorch returns 0" in said


def test_without_pytorch_the_page_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    at = run("pytorch")
    said = " ".join(i.value for i in at.info)
    assert "PyTorch is not installed" in said and "requirements-torch.txt" in said
    ast.parse(the_code(at))
    assert len(box_names(at)) == 6


def test_the_link_round_trip_and_a_bad_function() -> None:
    params = {"expr": "x^2 + x^y - 1/x", "step": "3", "x": "1.5", "y": "2"}
    at = run("pytorch", params)
    assert {k: at.query_params[k] for k in at.query_params} == params
    assert players(at)[0]["options"]["step"] == 3
    bad = run("pytorch", {"expr": "log(x"})
    assert "Cannot use this function" in bad.error[0].value


def test_the_embedded_view_is_the_diagram_alone() -> None:
    at = run("pytorch", {"embed": "true", "present": "true"})
    [shown] = players(at)
    assert shown["options"]["present"] is True and not at.title
    assert not [c for c in at.code if c.language == "python"]
