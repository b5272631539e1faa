"""Nothing false in what the engine says: shares are not gradients, nan and inf are flagged
where they arise, points without a derivative are named, numerical local derivatives say
when eps cannot be trusted, and the JSON is JSON.

Oracles: central difference on the whole function (engine.central_difference over
Graph.evaluate), plain calculus written out here, and json.loads in strict mode.
"""

from __future__ import annotations

import json
import math
import re

import pytest

import engine
from drawing.deck import deck_data
from drawing.diagram import Element, timeline
from engine.__main__ import main
from engine.check import gradient_check
from engine.explain import Kind, explain
from engine.trace import BackwardStep


def backward_explanations(trace: engine.Trace) -> list[tuple[BackwardStep, object]]:
    return [
        (step, explain(trace, k))
        for k, step in enumerate(trace.steps, 1)
        if isinstance(step, BackwardStep)
    ]


def variable_steps(trace: engine.Trace, name: str) -> list[tuple[BackwardStep, object]]:
    return [
        (s, e)
        for s, e in backward_explanations(trace)
        if trace.graph.nodes[s.node].kind == "variable" and trace.graph.nodes[s.node].label == name
    ]


def strict_json(text: str) -> dict:
    def refuse(constant: str) -> None:
        raise ValueError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


# -- the tree view: a leaf's d_out is a share -------------------------------------------------


def test_tree_leaves_are_shares_and_the_last_leaf_states_the_sum() -> None:
    graph = engine.parse("log(xy)+exp(xy)", merge=False)
    trace = graph.trace(x=1.0, y=2.0)
    for name in ("x", "y"):
        f = lambda t, name=name: graph.evaluate({"x": 1.0, "y": 2.0, name: t})  # noqa: E731
        true = float(engine.central_difference(f, {"x": 1.0, "y": 2.0}[name], 1e-6))
        steps = variable_steps(trace, name)
        assert len(steps) == 2  # one leaf per use
        first, last = steps
        # The first leaf reached is a share: never called the gradient.
        assert [
            line.kind for line in first[1].lines if line.kind in (Kind.GRADIENT, Kind.SHARE)
        ] == [Kind.SHARE]
        assert "share" in first[1].as_text() and "This is the gradient" not in first[1].as_text()
        assert not math.isclose(first[0].d_out, true, rel_tol=1e-3)
        # The last leaf adds the shares up, and the sum is the true gradient.
        [line] = last[1].of_kind(Kind.GRADIENT)
        shares = sorted((node, d) for node, d in last[0].copies.shares)
        assert math.isclose(sum(d for _, d in shares), true, rel_tol=1e-6)
        written = " + ".join(engine.explain.number_text(d) for _, d in shares)
        assert f"{written} = {engine.explain.number_text(true)}" in line.text
    assert "1 + 14.78 = 15.78" in variable_steps(trace, "x")[-1][1].as_text()
    assert "0.5 + 7.389 = 7.889" in variable_steps(trace, "y")[-1][1].as_text()


def test_cli_trace_of_the_tree_states_the_sum(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["log(xy)+exp(xy)", "x=1", "y=2", "--trace", "--tree"]) == 0
    out = capsys.readouterr().out
    assert "x is used twice" in out and "1 + 14.78 = 15.78" in out
    assert "This is the gradient: ∂v₉/∂x = 1." not in out


def test_a_variable_used_once_is_the_gradient_as_before() -> None:
    trace = engine.parse("log(xy)+exp(xy)").trace(x=1.0, y=2.0)
    for name in ("x", "y"):
        [(step, explanation)] = variable_steps(trace, name)
        assert step.copies is None
        assert len(explanation.of_kind(Kind.GRADIENT)) == 1


# -- nan and inf in the backward pass ---------------------------------------------------------


def test_overflow_in_a_sent_d_out_is_flagged_at_its_edge() -> None:
    graph = engine.parse("x^2*1e300*1e10")
    trace = graph.trace(x=1e-10)
    assert math.isfinite(trace.value) and trace.gradient["x"] == math.inf
    [note] = [n for n in trace.notes if n.kind == "overflow"]
    # the product 1e10 · 1e300 overflows on the edge into x^2
    assert graph.nodes[note.to].label == "pow" and "overflows" in note.text
    assert note.node in dict(trace.warnings)
    [(_, explanation)] = variable_steps(trace, "x")
    assert not explanation.of_kind(Kind.GRADIENT)
    assert "not the gradient" in explanation.of_kind(Kind.NO_GRADIENT)[0].text


def test_cli_json_warns_about_backward_overflow(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["x^2*1e300*1e10", "x=1e-10", "--json"]) == 0
    data = strict_json(capsys.readouterr().out)
    assert data["gradient"]["x"] == "inf"
    assert any("overflows" in w for w in data["warnings"])


def test_overflow_in_a_running_sum_is_flagged() -> None:
    trace = engine.parse("x*1e308 + x*1.5e308").trace(x=1e-10)  # each d_out finite, not the sum
    assert math.isfinite(trace.value) and trace.gradient["x"] == math.inf
    assert any(n.kind == "overflow" and "running sum" in n.text for n in trace.notes)


def test_overflow_in_a_local_derivative_is_flagged() -> None:
    trace = engine.parse("1/x").trace(x=1e-200)  # value 1e200, slope −1e400
    assert math.isfinite(trace.value)
    [note] = [n for n in trace.notes if n.kind == "overflow"]
    assert "local derivative" in note.text


# -- points without a derivative --------------------------------------------------------------


@pytest.mark.parametrize(
    "expr, convention, finite",
    [
        ("relu(x)", 0.0, True),
        ("abs(x)", 0.0, True),
        ("sqrt(x)", math.inf, False),
        ("x^0.5", math.inf, False),
        ("x^1.5", 0.0, True),
    ],
)
def test_kinks_are_named_with_the_convention_used(
    expr: str, convention: float, finite: bool
) -> None:
    trace = engine.parse(expr).trace(x=0.0)
    assert trace.gradient["x"] == convention
    [note] = [n for n in trace.notes if n.kind == "kink"]
    assert "not differentiable" in note.text or "slope from the right only" in note.text
    assert "PyTorch" in note.text
    assert note.warning is not finite  # an infinite slope is also a warning
    assert any(e.of_kind(Kind.KINK) for _, e in backward_explanations(trace))
    [(_, explanation)] = variable_steps(trace, "x")
    if finite:
        [line] = explanation.of_kind(Kind.GRADIENT)
        assert "by convention" in line.text
    else:
        assert not explanation.of_kind(Kind.GRADIENT)


@pytest.mark.parametrize("expr", ["relu(x)", "sqrt(x)", "x^0.5"])
def test_the_final_check_says_why_central_difference_disagrees(expr: str) -> None:
    trace = engine.parse(expr).trace(x=0.0)
    [check] = gradient_check(trace)
    assert not check.agree and check.reason
    assert "central difference" in check.reason


def test_relu_just_off_its_kink_has_no_note() -> None:
    trace = engine.parse("relu(x)").trace(x=1e-3)
    assert trace.notes == () and gradient_check(trace)[0].agree


@pytest.mark.parametrize("x, where", [(2.0, "x > 0"), (-2.0, "x < 0"), (0.0, "x = 0")])
def test_relu_local_derivative_reads_as_the_piece_the_point_is_on(x: float, where: str) -> None:
    trace = engine.parse("relu(x)").trace(x=x)
    # the slope of max(0, x) written out: 1 right of 0, 0 left of it, 0 by convention at 0
    slope = 1.0 if x > 0 else 0.0
    [(step, explanation)] = [(s, e) for s, e in backward_explanations(trace) if s.sends]
    [line] = explanation.of_kind(Kind.SEND)
    one = engine.explain.number_text(slope)
    assert line.text == f"To x: d_out · {one} = 1 · {one} = {one} ({where})"
    assert " if " not in explanation.as_text() and "else" not in explanation.as_text()
    assert bool(explanation.of_kind(Kind.KINK)) is (x == 0.0)


@pytest.mark.parametrize(
    "expr, x", [("log(x)", -1.0), ("log(x)", 0.0), ("1/x", 0.0), ("sqrt(x)", -4.0)]
)
def test_where_the_function_is_undefined_the_backward_states_no_gradient(
    expr: str, x: float
) -> None:
    trace = engine.parse(expr).trace(x=x)
    assert not math.isfinite(trace.value)
    assert math.isnan(trace.gradient["x"])
    assert math.isnan(trace.graph.gradient(x=x)["x"])  # the fast path agrees
    [(_, explanation)] = variable_steps(trace, "x")
    text = explanation.as_text()
    assert not explanation.of_kind(Kind.GRADIENT) and "no gradient" in text
    assert any(e.of_kind(Kind.UNDEFINED) for _, e in backward_explanations(trace))


def test_the_fast_gradient_of_an_array_is_nan_only_where_undefined() -> None:
    import numpy as np

    g = engine.parse("log(x)").gradient(x=np.array([-1.0, 2.0]))["x"]
    assert math.isnan(g[0]) and g[1] == 0.5


# -- numerical local derivatives --------------------------------------------------------------


def test_numerical_local_says_x_minus_eps_leaves_the_domain() -> None:
    trace = engine.parse("log(x)").trace(x=0.00001, local="numerical")
    [note] = [n for n in trace.notes if n.kind == "eps"]
    assert "x − eps" in note.text and "leaves the domain" in note.text
    assert "local derivative of log is nan" not in " ".join(t for _, t in trace.warnings)
    assert gradient_check(trace)[0].reason


@pytest.mark.parametrize("expr, eps", [("log(x)", 1e-300), ("x^2", 1e-300)])
def test_an_eps_too_small_to_move_x_is_a_warning(expr: str, eps: float) -> None:
    trace = engine.parse(expr).trace(x=1.0, local="numerical", eps=eps)
    assert trace.gradient["x"] == 0.0
    [note] = [n for n in trace.notes if n.kind == "eps"]
    assert note.warning and "too small" in note.text
    assert trace.warnings


def test_an_eps_too_large_is_a_warning() -> None:
    trace = engine.parse("sin(x)").trace(x=1.0, local="numerical", eps=1e308)
    assert [n.kind for n in trace.notes] == ["eps"] and trace.warnings


def test_a_good_eps_has_no_note() -> None:
    trace = engine.parse("sin(x)*log(x)").trace(x=2.0, local="numerical", eps=1e-5)
    assert trace.notes == () and trace.warnings == ()


# -- x^0 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("local", ["symbolic", "numerical"])
def test_x_to_the_zero_has_slope_zero_at_zero(local: str) -> None:
    trace = engine.parse("x^0").trace(x=0.0, local=local)
    assert trace.gradient["x"] == 0.0 and trace.warnings == ()
    assert engine.parse("x^0").gradient(x=0.0)["x"] == 0.0


# -- strict JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["x", "x=nan"],
        ["x", "x=inf"],
        ["x*y", "x=-inf", "y=0"],
        ["log(x)", "x=-1"],
        ["x^2*1e300*1e10", "x=1e-10"],
    ],
)
def test_cli_json_is_strict_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args + ["--json"]) == 0
    data = strict_json(capsys.readouterr().out)
    for value in [*data["inputs"].values(), data["value"], *data["gradient"].values()]:
        assert isinstance(value, float) or value in ("nan", "inf", "-inf")


# -- wording ---------------------------------------------------------------------------------


def test_a_function_without_operations_is_not_zero_operations() -> None:
    text = explain(engine.parse("x").trace(x=2.0), 0).as_text()
    assert "0 operations" not in text and "no operation" in text


def test_a_negative_argument_has_one_pair_of_parentheses() -> None:
    trace = engine.parse("log(x)").trace(x=-1.0)
    text = explain(trace, 1).as_text()
    assert "log(−1)" in text and "((" not in text


def test_a_square_is_written_as_the_course_writes_it() -> None:
    trace = engine.parse("x^2").trace(x=3.0)
    text = "\n".join(explain(trace, k).as_text() for k in range(len(trace) + 1))
    assert "x² = 3² = 9" in text and "2·x = 1 · 2·3 = 6" in text
    assert "^(2−1)" not in text and "x^2" not in text


def all_text(trace: engine.Trace) -> str:
    return "\n".join(explain(trace, k).as_text() for k in range(len(trace) + 1))


@pytest.mark.parametrize("text", ["x^2", "x**2", "x^2.0", "(x+1)^2", "sin(z^2)"])
def test_a_power_with_the_constant_exponent_2_is_a_square_box(text: str) -> None:
    graph = engine.parse(text)
    [square] = [n for n in graph.nodes if n.label == "pow"]
    [form] = engine.OPS["pow"].named_forms
    point = {v: 1.5 for v in graph.variables}
    trace = graph.trace(point)
    # The box and every explanation call it by its name in the table, never "^".
    first = timeline(trace).patches[0]
    assert first[Element.box(square.id)].texts[0] == form.name == "square"
    said = all_text(trace)
    # Numbered among the drawn boxes: the 2 it fixes, made just before it, takes no number.
    assert f"{form.name} (v{engine.explain.subscript(square.id)})" in said
    assert "^ (" not in said and "^(2−1)" not in said and "^2" not in said
    # Its local derivative is written 2·z; the number is the slope of z², by central difference.
    [(step, explanation)] = [(s, e) for s, e in backward_explanations(trace) if s.node == square.id]
    [line] = explanation.of_kind(Kind.SEND)
    assert " · 2·" in line.text
    [latex] = [s.latex for s in line if s.latex]
    assert r"2 \cdot" in latex and "b-1" not in latex
    z = float(trace.values[square.args[0]])
    slope = float(engine.central_difference(lambda t: t**2, z, 1e-6))
    assert math.isclose(step.sends[0].local, slope, rel_tol=1e-6)


@pytest.mark.parametrize("text", ["x^3", "x^y", "x^0.5", "2^x", "x^(1+1)"])
def test_other_powers_stay_powers(text: str) -> None:
    graph = engine.parse(text)
    [power] = [n for n in graph.nodes if n.label == "pow"]
    assert power.symbol == "^"
    trace = graph.trace({v: 1.5 for v in graph.variables})
    assert timeline(trace).patches[0][Element.box(power.id)].texts[0] == "^"
    assert "square" not in all_text(trace)


def test_a_square_s_gradient_is_the_power_s() -> None:
    # x^2 with the constant 2 and x^y at y = 2: one box is a square, the other a power; the
    # gradient with respect to x is the same number, 2·x.
    for x in (-3.0, 0.0, 1e-8, 2.5):
        square = engine.parse("x^2").trace(x=x).gradient["x"]
        power = engine.parse("x^y").trace(x=x, y=2.0).gradient["x"]
        assert square == power and math.isclose(square, 2 * x, abs_tol=1e-300)


def test_the_cli_trace_and_the_slides_show_the_square(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sin(x^2)", "x=3", "--trace"]) == 0
    out = capsys.readouterr().out
    # x is 1, the square 2, sin 3: the 2 of x² is not drawn and takes no number.
    assert "Forward pass: square (v₂)" in out and "v₂ = x² = 3² = 9" in out
    assert "v₃ = sin(v₂) = sin(9) = 0.4121" in out and "v₄" not in out
    assert "To x: d_out · 2·x = −0.9111 · 2·3 = −5.467" in out and "^ (v₂)" not in out
    deck = deck_data(engine.parse("sin(x^2)").trace(x=3.0), title="sin(x^2)")
    slides = " ".join(frame["html"] for frame in deck["frames"])
    assert "square (v₂)" in slides and "^ (v₂)" not in slides and "v₄" not in slides
    # x² as MathML: a superscript 2 on x, not b·a^(b−1)
    assert "<msup><mi>x</mi><mrow><mn>2</mn></mrow></msup>" in slides


def test_sigmoid_shows_its_definition_once() -> None:
    trace = engine.parse("sigmoid(x)").trace(x=0.0)
    text = explain(trace, 1).as_text()
    assert "v₂ = σ(x) = σ(0) = 0.5" in text and "1/(1 + e^−z)" in text


def test_sends_and_received_lines_carry_their_kind() -> None:
    trace = engine.parse("log(xy)+exp(xy)").trace(x=1.0, y=2.0)
    for step, explanation in backward_explanations(trace):
        sends = explanation.of_kind(Kind.SEND)
        assert len(sends) == len(step.sends)
        for send, line in zip(step.sends, sends, strict=True):
            assert line.text.endswith(engine.explain.number_text(send.contribution))
        assert explanation.of_kind(Kind.RECEIVED)


def test_warnings_and_explanations_write_numbers_alike() -> None:
    trace = engine.parse("log(x)").trace(x=-1.0)
    [(_, warning)] = trace.warnings
    assert "log(−1)" in warning and "-1" not in warning


# -- the property: a stated gradient agrees with central difference, or the reason is named ----

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from engine.check import CheckKind  # noqa: E402

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
UNARY = ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "-")
EXPONENTS = ("2", "3", "0", "0.5", "1.5", "-1", "-0.5")
# Ordinary points and edges: kinks at 0, log and sqrt below 0, exp's overflow, tiny and huge.
POINTS = (0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, 1e-8, -1e-8, 710.0, 1e154, -1e154)
NAMED: frozenset[CheckKind] = frozenset({"kink", "eps", "outside-domain", "ill-conditioned"})


@st.composite
def functions(draw: st.DrawFn, depth: int = 3) -> str:
    """A random function of x and y as typed text, with no guard against edges."""
    choice = draw(st.integers(0, 5 if depth > 0 else 1))
    if choice <= 1:
        return draw(st.sampled_from(("x", "y", "x", "y", "2", "0.5")))
    if choice == 2:
        op = draw(st.sampled_from(UNARY))
        inner = draw(functions(depth - 1))
        return f"-({inner})" if op == "-" else f"{op}({inner})"
    if choice == 3:
        return f"({draw(functions(depth - 1))})^{draw(st.sampled_from(EXPONENTS))}"
    operator = draw(st.sampled_from("+-*/^"))
    return f"({draw(functions(depth - 1))}){operator}({draw(functions(depth - 1))})"


@PROPERTY
@given(
    functions(),
    st.sampled_from(POINTS),
    st.sampled_from(POINTS),
    st.sampled_from(("symbolic", "numerical")),
    st.booleans(),
)
def test_a_stated_gradient_agrees_with_central_difference_or_says_why(
    text: str, x: float, y: float, local: str, tree: bool
) -> None:
    graph = engine.parse(text, merge=not tree)
    point = {v: {"x": x, "y": y}[v] for v in graph.variables}
    trace = graph.trace(point, local=local)
    for check in gradient_check(trace):
        said = [
            e for s, e in variable_steps(trace, check.variable) if s.copies is None or s.copies.last
        ]
        if not said:
            continue  # a variable the output does not depend on
        [last] = said
        stated = last.of_kind(Kind.GRADIENT)
        if not math.isfinite(check.backprop):
            # never called the gradient, and the reason is on record
            assert not stated, (text, point, last.as_text())
            assert last.of_kind(Kind.NO_GRADIENT) and trace.warnings, (text, point)
            assert check.reason
            continue
        assert stated, (text, point, last.as_text())
        # agrees, or names why not: a kink, the domain's edge, the eps, round-off
        assert check.agree or (check.kind in NAMED and check.reason), (text, point, local, check)
        if check.kind == "kink" and any(n.kind == "kink" for n in trace.notes):
            assert "by convention" in stated[0].text


def test_powers_of_ten_and_sums_are_grouped_where_they_are_operands() -> None:
    trace = engine.parse("x^y").trace(x=1e-8, y=3.0)
    text = "\n".join(explain(trace, k).as_text() for k in range(len(trace) + 1))
    assert "(1e−8)^3" in text and "1e−8^" not in text
    trace = engine.parse("tanh(x)").trace(x=0.5)
    text = "\n".join(explain(trace, k).as_text() for k in range(len(trace) + 1))
    assert "d_out · (1 − tanh²(x)) = 1 · (1 − tanh²(0.5))" in text


def test_cli_never_prints_nan_or_inf_as_a_bare_gradient(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["x^2*1e300*1e10", "x=1e-10"]) == 0
    out = capsys.readouterr().out
    assert "d/dx: inf (not a gradient: see the warning below)" in out and "warning:" in out


@pytest.mark.parametrize(
    "expr, inputs",
    [("x", {"x": math.nan}), ("x", {"x": math.inf}), ("x+y", {"x": 1.0, "y": math.nan})],
)
def test_an_input_with_no_finite_value_gives_no_gradient(expr: str, inputs: dict) -> None:
    trace = engine.parse(expr).trace(**inputs)
    # the function has no finite value at the point, so it has no derivative there
    assert not math.isfinite(float(engine.parse(expr).evaluate(inputs)))
    assert all(math.isnan(g) for g in trace.gradient.values())
    for name in trace.gradient:
        [(_, explanation)] = variable_steps(trace, name)
        assert not explanation.of_kind(Kind.GRADIENT)
        assert "no gradient" in explanation.of_kind(Kind.NO_GRADIENT)[0].text


def test_cli_reports_no_gradient_for_a_nan_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["x", "x=nan"]) == 0
    out = capsys.readouterr().out
    assert "d/dx: nan (not a gradient" in out and "d/dx: 1" not in out
    assert main(["x", "x=nan", "--json"]) == 0
    data = strict_json(capsys.readouterr().out)
    assert data["gradient"]["x"] == "nan" and data["warnings"]


# -- every explanation of every op, at ordinary and edge points, reads cleanly ------------------

from engine.forward_mode import explain_forward_mode, forward_mode  # noqa: E402
from engine.ops import FUNCTIONS, OPS, Op  # noqa: E402

# Ordinary points and edges: 0 (kinks, log's and sqrt's edge, 0^−1), negatives, tiny and huge
# numbers, π/2 (tan), 710 (exp's overflow).
SWEEP_POINTS = (0.0, 1.0, -1.0, 2.5, -2.5, 0.5, 1e-8, -1e-8, 1e8, math.pi / 2, 710.0)
SECOND = (2.0, -1.0)

# What must never appear. Plain text: the words, and the text of every formula.
TEXT_GLITCHES = {
    "doubled parentheses": r"\(\(",
    "a hyphen for a minus": r"(?<![\w])-(?=\d|inf)",
    "an exponent with a leading zero": r"\de[−+-]?0\d",
    "two signs in a row": r"[−+·] −|−−",
    "a result of minus zero": r"= −0\s*$",
    "0 or 1 operations": r"\b[01] operations",
    "a name that explains itself": r"\b(\w+) is \1\b",
    "a leftover": r"\bNone\b|\{|\}",
    "a space before a full stop or comma": r" [.,](?!\d)",
}
# LaTeX, rendered as math: 1e−08 reads as Euler's e there.
LATEX_GLITCHES = {
    "doubled parentheses": r"(\(|\\left\()\s*(\(|\\left\()",
    "an e-number": r"\de[−+-]?\d",
    "a typographic minus": r"−",
    "two signs in a row": r"([-+]|\\cdot) \{?-",
    "a result of minus zero": r"= \{?-0\}?\s*$",
    "inf outside math": r"(?<!\\)\binf\b",
    # MathML sets a minus that is not first in its group as a subtraction: = − 1; braced, {-1},
    # it is a sign: = −1.
    "a minus set as a subtraction": r"(=|\\cdot|\(|\\left\()\s*-",
    "a leftover": r"None|\bnan\b(?!\})",
}


def typed(op: Op) -> list[str]:
    """Functions that use `op`, written from its table entry: called by name, or with its
    operator; with variables, constants and negative constants as arguments."""
    if op.arity == 1:
        if op.spellings:
            return [f"{op.spellings[0]}x", f"{op.spellings[0]}(x + y)"]
        name = next(n for n, target in FUNCTIONS.items() if target == op.name)
        return [f"{name}(x)", f"{name}(x*y)", f"{name}(-1)"]
    s = op.spellings[0]
    return [f"x{s}y", f"x{s}2", f"2{s}x", f"x{s}(-1)", f"(-1){s}x", f"x{s}0.5", f"x{s}x"]


def explanations(graph: engine.Graph, point: dict[str, float], local: str):
    trace = graph.trace(point, local=local)
    for k in range(len(trace) + 1):
        yield f"step {k}", explain(trace, k)
    if local == "symbolic":
        for wrt in graph.variables:
            forward = forward_mode(graph, point, wrt=wrt)
            for k in range(len(forward.steps) + 1):
                yield f"forward mode in {wrt}, step {k}", explain_forward_mode(forward, k)


def glitches(explanation) -> list[str]:
    found = []
    parts = [explanation.title, *(line.text for line in explanation.lines)]
    parts += [explanation.warning] if explanation.warning else []
    for text in parts:
        found += [f"{what}: {text!r}" for what, p in TEXT_GLITCHES.items() if re.search(p, text)]
    for line in explanation.lines:
        # the first word of a sentence is capitalised, but not an operation's name: relu, not Relu
        first = line.text.split(" ")[0]
        if first[:1].isupper() and (first.lower() in OPS or first.lower() in FUNCTIONS):
            found.append(f"a capitalised name: {line.text!r}")
        for segment in line:
            if segment.latex is None:
                continue
            found += [
                f"{what} in LaTeX: {segment.latex!r}"
                for what, p in LATEX_GLITCHES.items()
                if re.search(p, segment.latex)
            ]
    return found


@pytest.mark.parametrize("name", list(OPS))
def test_every_explanation_of_every_op_reads_cleanly(name: str) -> None:
    found: dict[str, str] = {}
    for text in typed(OPS[name]):
        # The tree (merge=False) differs where a variable is used twice.
        for merge in (True, False) if text.count("x") > 1 else (True,):
            graph = engine.parse(text, merge=merge)
            for x in SWEEP_POINTS:
                for y in SECOND:
                    point = {v: {"x": x, "y": y}[v] for v in graph.variables}
                    for local in ("symbolic", "numerical"):
                        for where, explanation in explanations(graph, point, local):
                            for glitch in glitches(explanation):
                                found.setdefault(
                                    glitch.split(":")[0],
                                    f"{text} at {point}, {local}, {where}: {glitch}",
                                )
                    if not graph.variables:
                        break
    assert not found, "\n".join(found.values())


@pytest.mark.parametrize(
    "bad, glitch",
    [
        ("To y: d_out · −1 = 1 · −1 = −1", "two signs in a row"),
        ("v₂ = log((−1)) = nan", "doubled parentheses"),
        ("The forward pass computes the 0 operations", "0 or 1 operations"),
        ("sigmoid is sigmoid: σ(z) = 1/(1 + e^−z).", "a name that explains itself"),
        ("d_out · (0 − −0)", "two signs in a row"),
        ("= 1 · −0/1² = −0", "a result of minus zero"),
        ("x = -1", "a hyphen for a minus"),
    ],
)
def test_the_sweep_finds_each_glitch_it_names(bad: str, glitch: str) -> None:
    from engine.explain import Explanation, M, W

    assert any(g.startswith(glitch) for g in glitches(Explanation("Step", ((W(bad),),))))
    latex = {"doubled parentheses": r"\log((-1))", "two signs in a row": r"1 \cdot -1"}
    if glitch in latex:
        explanation = Explanation("Step", ((M("x", latex[glitch]),),))
        assert any(g.startswith(glitch) for g in glitches(explanation))
    assert glitches(Explanation("Step", ((W("x = −1"), M("1e−8", r"1 \times 10^{-8}")),))) == []
    found = glitches(Explanation("Step", ((M("1e−08", "1e-08"),),)))
    assert any(g.startswith("an e-number in LaTeX") for g in found)
    assert any(g.startswith("an exponent with a leading zero") for g in found)
    [found] = glitches(Explanation("Step", ((M("v = −5.467", "v = -5.467"),),)))
    assert found.startswith("a minus set as a subtraction")
    assert glitches(Explanation("Step", ((M("v = −5.467", "v = {-5.467}"),),))) == []


def test_a_negative_number_renders_as_a_signed_number() -> None:
    from drawing.deck import math_html
    from engine.explain import number_latex

    # MathML: the minus and the number in a group of their own, where the minus comes first
    for v in (-5.467, -1e-8, -math.inf):
        for wrapped in (False, True):
            mathml = math_html(rf"d = {number_latex(v, wrapped)}")
            assert re.search(r"<mrow><mo>&#x02212;</mo><m[nio]", mathml), mathml


# -- the course's class names, named once beside the app's --------------------------------------


def test_each_box_names_the_course_s_class_where_it_is_another_word() -> None:
    from engine.boxes import boxes

    for name, box in boxes().items():
        if box.class_name.lower() == name.lower():  # square, tanh: the same word
            assert box.title == name
        else:  # sin is the course's Sine, neg its Negate
            assert box.title.startswith(name) and box.class_name in box.title
    assert boxes()["sin"].title == "sin (the course's Sine)"


def test_the_chain_rule_page_names_sine_once_beside_sin() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=120)
    at.switch_page("pages/chain_rule.py").run()
    assert not at.exception
    titles = [h.value for h in at.subheader]
    assert "Outer box: sin (the course's Sine), numerical backward" in titles
    assert "Inner box: square, symbolic backward" in titles
    code = "\n".join(c.value for c in at.code)
    assert "class Sine:" in code  # the class the title names
