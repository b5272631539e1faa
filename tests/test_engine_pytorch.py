"""The PyTorch code and autograd names generated from the engine's graph, checked against
Python's own parser and, where PyTorch is installed, against PyTorch itself."""

from __future__ import annotations

import ast
import operator
import re

import pytest
from conftest import run_python
from hypothesis import given
from test_engine_properties import PROPERTY, cases, parse_at

import engine
from engine.pytorch import ACCUMULATE, program

PYTHON_OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
COURSE = {
    "log(xy)+exp(xy)": {"x": 1.0, "y": 2.0},
    "(sigmoid(2w + b) - 1)^2 + (sigmoid(-w + b))^2": {"w": 0.5, "b": 0.0},
    "sin(x)^2 + x*y": {"x": 0.5, "y": -1.5},
    "x - (y - x) / 2 + 1 - x": {"x": 1.0, "y": 3.0},
    "-x^2 + 2^x + x^y + (-x)^2": {"x": 1.5, "y": 0.5},
    "sqrt(relu(x)) + abs(-y) + tanh(x)*tan(y) + cos(x)/exp(y)": {"x": 0.3, "y": 0.4},
    "2*3*x": {"x": 2.0},
    "x": {"x": 3.0},
    "lambda*2 + h": {"lambda": 1.0, "h": 2.0},
}


def torch_or_skip():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("text", COURSE)
def test_the_code_is_python_and_names_every_variable_once(text: str) -> None:
    g = engine.parse(text)
    code = program(g, COURSE[text]).code
    tree = ast.parse(code)
    assigned = [
        t.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    ]
    assert len(assigned) == len(set(assigned))  # nothing is overwritten
    assert code.count("requires_grad=True") == len(g.variables)
    assert "h.backward()" in code or "h_.backward()" in code


def test_the_course_function_is_written_as_in_the_course() -> None:
    code = program(engine.parse("log(xy)+exp(xy)"), {"x": 1.0, "y": 2.0}).code
    assert "x = torch.tensor(1.0, requires_grad=True)" in code
    assert "y = torch.tensor(2.0, requires_grad=True)" in code
    # x·y feeds log and exp: one node with fan-out, as in the engine's diagram (v₃).
    assert "v3 = x * y" in code and "h = torch.log(v3) + torch.exp(v3)" in code


def test_the_generated_code_runs_as_it_is_and_gives_the_course_numbers(tmp_path) -> None:
    torch_or_skip()
    code = program(engine.parse("log(xy)+exp(xy)"), {"x": 1.0, "y": 2.0}).code
    out = run_python(code, tmp_path)
    grads = dict(re.findall(r"dh/d(\w) = tensor\(([-\d.e]+)", out))
    assert float(grads["x"]) == pytest.approx(15.778, abs=5e-4)
    assert float(grads["y"]) == pytest.approx(7.889, abs=5e-4)


def test_each_operation_s_autograd_name_is_pytorch_s() -> None:
    torch = torch_or_skip()
    x = torch.tensor(0.7, requires_grad=True)
    y = torch.tensor(1.3, requires_grad=True)
    for op in engine.OPS.values():
        if op.arity == 2:
            result = PYTHON_OPERATORS[op.torch](x, y)  # the table's spelling, as Python reads it
        elif op.name == "neg":
            result = -x
        else:
            result = getattr(torch, op.torch.removeprefix("torch."))(x)
        expected = "PowBackward1" if op.name == "pow" else op.autograd  # tensor ** tensor
        assert type(result.grad_fn).__name__ == expected, op.name
    assert type((x**2).grad_fn).__name__ == engine.OPS["pow"].autograd
    assert type((x * 2).grad_fn.next_functions[0][0]).__name__ == ACCUMULATE


def check_against_torch(text: str, values: dict[str, float]) -> None:
    from ui.torch_run import run

    g = engine.parse(text)
    built = program(g, values)
    ast.parse(built.code)
    result = run(g, values, built)
    for line in built.lines:  # every box: the predicted name and inputs are PyTorch's
        assert result.grad_fns[line.node] == line.grad_fn, (text, line)
        if line.grad_fn:
            assert result.next_functions[line.node] == tuple(
                built.grad_fn(n) if n is not None else None for n in line.next_functions
            )
    exact = g.gradient(values)
    for name, grad in exact.items():
        assert result.grads[name] == pytest.approx(grad, rel=1e-9, abs=1e-12), (text, name)


@pytest.mark.parametrize("text", COURSE)
def test_pytorch_agrees_on_the_course_functions(text: str) -> None:
    torch_or_skip()
    check_against_torch(text, COURSE[text])


@PROPERTY.__class__(PROPERTY, max_examples=50)
@given(cases())
def test_pytorch_agrees_on_random_functions(case) -> None:
    torch_or_skip()
    _, text, point = case
    g, values = parse_at(text, point)
    check_against_torch(g.text, values)


def test_points_where_pytorch_picks_a_derivative_are_found() -> None:
    from engine.pytorch import non_differentiable_points

    g = engine.parse("relu(x) + abs(y) + sqrt(x*y) + relu(y)")
    found = non_differentiable_points(g, {"x": 0.0, "y": 1.0})
    assert sorted(point.op for point in found) == ["relu", "sqrt"]
    assert non_differentiable_points(g, {"x": 1.0, "y": 1.0}) == []


@pytest.mark.parametrize("text", ["relu(x)", "abs(x)", "sqrt(x)", "x^0.5", "x^1.5"])
def test_at_a_kink_pytorch_returns_what_the_page_says(text: str) -> None:
    """What the page says PyTorch returns at a kink is read from the op table; PyTorch itself
    is the check."""
    torch = torch_or_skip()
    from engine.pytorch import non_differentiable_points

    [point] = non_differentiable_points(engine.parse(text), {"x": 0.0})
    x = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    {"relu": torch.relu, "abs": torch.abs, "sqrt": torch.sqrt}.get(
        point.op, lambda t: t ** float(text.split("^")[1])
    )(x).backward()
    assert point.at == "0"
    assert point.returns == engine.explain.number_text(float(x.grad))
    assert point.why == engine.OPS[point.op].kink.why
