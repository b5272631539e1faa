"""An operation is one entry in `engine.ops.OPS`: softplus, added to the table for these tests
only, goes through the parser, graph, gradient, trace, explanations, diagram, deck, slide file,
the course's box code, the CLIs and PyTorch's code with no other change anywhere.

softplus(z) = log(1 + e^z), and its derivative is σ(z) = 1/(1 + e^−z). The oracles here are
`math` and central difference on the function's own value, never the engine's formulas.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import run_python

import engine
from drawing import build_diagram, deck_data, standalone_html
from drawing.diagram import Element
from engine.boxes import box_code, box_names, box_text
from engine.explain import explain
from engine.ops import OPS, F, Op

SOFTPLUS = Op(
    "softplus",
    "softplus",
    lambda z: np.logaddexp(0.0, z),
    (lambda z: 1 / (1 + np.exp(-z)),),
    F("softplus(z)", r"\operatorname{softplus}(z)", "softplus(z)"),
    (F("σ(z)", r"\sigma(z)", "sigmoid(z)"),),
    definition=F("log(1 + e^z)", r"\log(1 + e^{z})", "log(1 + exp(z))"),
    torch="torch.nn.functional.softplus",
    autograd="SoftplusBackward0",
    class_name="Softplus",
)


def softplus(z: float) -> float:
    return math.log1p(math.exp(z))


def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Op:
    """softplus in the table for one test; the table is as it was afterwards."""
    monkeypatch.setitem(OPS, "softplus", SOFTPLUS)
    return SOFTPLUS


def test_the_parser_reads_it_as_a_function(registered) -> None:
    graph = engine.parse("softplus(2x)")
    assert graph.variables == ("x",)
    out = graph.nodes[graph.output]
    assert out.label == "softplus" and out.symbol == "softplus"
    assert graph.nodes[out.args[0]].label == "mul"
    assert "softplus" in engine.FUNCTIONS
    assert engine.read_as(graph) == "softplus(2·x)"
    # A name is never cut apart, and a misspelling is pointed at it.
    assert engine.parse("softplus(x) + x softplus(x)").variables == ("x",)
    with pytest.raises(engine.ParseError, match="did you mean softplus"):
        engine.parse("softplux(x)")


@pytest.mark.parametrize("x", [-3.0, -0.4, 0.0, 0.3, 2.5])
def test_value_and_gradient(registered, x: float) -> None:
    graph = engine.parse("softplus(2x)")
    trace = graph.trace({"x": x})
    assert trace.value == pytest.approx(softplus(2 * x), rel=1e-12)
    assert trace.gradient["x"] == pytest.approx(2 * sigma(2 * x), rel=1e-12)
    eps = 1e-6
    central = (softplus(2 * (x + eps)) - softplus(2 * (x - eps))) / (2 * eps)
    assert graph.gradient(x=x)["x"] == pytest.approx(central, abs=1e-8)
    numerical = graph.trace({"x": x}, local="numerical", eps=1e-5)
    assert numerical.gradient["x"] == pytest.approx(central, abs=1e-7)


def test_trace_and_explanations(registered) -> None:
    graph = engine.parse("softplus(2x)")
    trace = graph.trace({"x": 0.3})
    node = graph.output
    phases = [(s.phase, s.node) for s in trace.steps]
    assert ("forward", node) in phases and ("backward", node) in phases
    forward = explain(trace, phases.index(("forward", node)) + 1)
    text = forward.as_text()
    assert "softplus(v" in text and f"{softplus(0.6):.4f}"[:5] in text
    assert "log(1 + e^z)" in text  # the definition, from the entry
    latex = " ".join(s.latex for line in forward.lines for s in line if s.latex)
    assert r"\operatorname{softplus}" in latex and r"\log(1 + e^{z})" in latex
    backward = explain(trace, phases.index(("backward", node)) + 1)
    send = backward.of_kind(engine.explain.Kind.SEND)
    assert len(send) == 1
    assert "σ(" in send[0].text and f"{sigma(0.6):.4f}"[:5] in send[0].text
    assert any(s.latex and r"\sigma(" in s.latex for s in send[0])
    for k in range(len(trace) + 1):  # every step explains itself without an error
        assert explain(trace, k).as_text()


def test_diagram_deck_and_slide_file(registered) -> None:
    trace = engine.parse("softplus(2x)").trace({"x": 0.3})
    diagram = build_diagram(trace)
    assert diagram.patches[0][Element.box(trace.graph.output)].texts[0] == "softplus"
    assert ">softplus<" in diagram.svg_at(0)
    deck = deck_data(trace)
    assert len(deck["frames"]) == len(trace) + 1
    backward = next(
        f["html"] for f in deck["frames"] if f["phase"] == "backward" and "To v" in f["html"]
    )
    assert "<mi>&#x003C3;</mi>" in backward  # σ(…), the local derivative, as MathML
    assert "<h3>Forward pass: softplus" in "".join(f["html"] for f in deck["frames"])
    page = standalone_html(deck)
    assert page.startswith("<!DOCTYPE html>") and "softplus" in page


def test_the_course_s_box(registered) -> None:
    assert "softplus" in box_names(1)
    assert box_text("softplus", "x^2") == "softplus(x^2)"
    for mode in ("symbolic", "numerical"):
        code = box_code("softplus", mode, 1e-5)
        assert "class Softplus:" in code
        # The code is written from the table only; running it here is running the table.
        namespace: dict = {}
        exec(compile(code, "<softplus box>", "exec"), namespace)  # noqa: S102
        box = namespace["Softplus"]()
        for z in (-2.0, 0.0, 1.5):
            assert box.forward(z) == pytest.approx(softplus(z), rel=1e-12)
            assert box.backward(0.5) == pytest.approx(0.5 * sigma(z), rel=1e-8)


def test_the_engine_cli(registered, capsys) -> None:
    from engine.__main__ import main

    assert main(["softplus(x)", "x=1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["value"] == pytest.approx(softplus(1.0), rel=1e-12)
    assert out["gradient"]["x"] == pytest.approx(sigma(1.0), rel=1e-12)
    assert out["read_as"] == "softplus(x)"
    assert main(["softplus(x)", "x=1", "--trace"]) == 0
    assert "log(1 + e^z)" in capsys.readouterr().out


def test_the_drawing_cli(registered, tmp_path) -> None:
    from drawing.__main__ import main

    target = tmp_path / "slides.html"
    assert main(["softplus(2x)", "x=0.3", "-o", str(target)]) == 0
    assert "softplus" in target.read_text(encoding="utf-8")


def test_pytorch_code_and_autograd(registered, tmp_path) -> None:
    pytest.importorskip("torch")
    from engine.pytorch import program
    from ui.torch_run import run

    graph = engine.parse("softplus(2x)")
    built = program(graph, {"x": 0.3})
    assert "torch.nn.functional.softplus(2 * x)" in built.code
    result = run(graph, {"x": 0.3}, built)
    assert result.grad_fns[graph.output] == "SoftplusBackward0"
    assert result.grads["x"] == pytest.approx(2 * sigma(0.6), rel=1e-12)
    # The code a student pastes runs as it is (in a fresh Python, without the test's table).
    out = run_python(built.code, tmp_path)
    printed = float(out.split("dh/dx = tensor(")[1].split(")")[0])  # four decimals
    assert printed == pytest.approx(2 * sigma(0.6), abs=1e-4)


def test_forward_mode(registered) -> None:
    from drawing.forward_mode import forward_mode_deck
    from engine.forward_mode import forward_mode

    trace = forward_mode(engine.parse("softplus(2x)"), {"x": 0.3}, wrt="x")
    assert trace.derivative == pytest.approx(2 * sigma(0.6), rel=1e-12)
    assert "softplus" in "".join(f["html"] for f in forward_mode_deck(trace)["frames"])


def test_without_the_entry_softplus_is_unknown_again() -> None:
    """After the tests above, the table and every table read from it are as they were."""
    assert "softplus" not in OPS and "softplus" not in engine.FUNCTIONS
    assert "softplus" not in box_names(1)
    with pytest.raises(engine.ParseError, match="unknown function 'softplus'"):
        engine.parse("softplus(2x)")


def test_the_chain_rule_page_offers_it(registered) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=60)
    at.query_params.update(
        {
            "x": "0.5",
            "inner": "square",
            "outer": "softplus",
            "inner_mode": "symbolic",
            "outer_mode": "symbolic",
        }
    )
    at.switch_page("pages/chain_rule.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "softplus" in at.selectbox(key="chain-rule:outer").options
    shown = {m.label: m.value for m in at.metric}
    assert float(shown["Forward: f(x)"].replace("−", "-")) == pytest.approx(
        softplus(0.25), abs=1e-4
    )
    assert float(shown["Backward: df/dx"].replace("−", "-")) == pytest.approx(
        sigma(0.25) * 2 * 0.5, abs=1e-4
    )
    code = "\n".join(c.value for c in at.code)
    assert "class Softplus:" in code and "return d_out * sigmoid(self.z)" in code
