"""What the engine says, said the way the explanations say it: boxes named v₃ everywhere, the one
domain reason that applies, an infinite slope not called an overflow, and numbers written by the
one formatter (−5.467, 10⁻⁴), in the CLI and on the eps sliders.

Oracles: the explanations' own name of a node (engine.explain.node_name), plain calculus and
exact arithmetic (fractions) written out here.
"""

from __future__ import annotations

import json
import math
import re
import sys
from fractions import Fraction

import pytest
from streamlit.testing.v1 import AppTest

import engine
from engine.__main__ import main
from engine.check import gradient_check
from engine.explain import explain, node_name

NODE_NUMBER = re.compile(r"\bnode \d")


def everything_said(trace: engine.Trace) -> list[str]:
    return [text for _, text in trace.warnings] + [n.text for n in trace.notes]


def op_name(trace: engine.Trace, node: int) -> str:
    return f"{trace.graph.nodes[node].symbol} ({node_name(trace.graph, node)[0]})"


@pytest.mark.parametrize(
    "expr, point, local",
    [
        ("log(x)", {"x": -1.0}, "symbolic"),  # forward warning
        ("x^2*1e300*1e10", {"x": 1e-10}, "symbolic"),  # overflow on an edge
        ("log(x)", {"x": 0.00001}, "numerical"),  # eps leaves the domain
        ("1/x", {"x": 1e-170}, "symbolic"),  # overflowing local derivative
    ],
)
def test_warnings_name_boxes_as_the_explanations_do(expr: str, point: dict, local: str) -> None:
    trace = engine.parse(expr).trace(point, local=local, eps=1e-4)
    said = everything_said(trace)
    assert said, "the case has something to say"
    for text in said:
        assert not NODE_NUMBER.search(text), text
    ops = [n.id for n in trace.graph.nodes if n.kind == "operation"]
    named = {op_name(trace, n) for n in ops}
    assert all(any(name in text for name in named) for text in said), said
    # The explanations use the same names for the same boxes.
    words = " ".join(explain(trace, k).as_text() for k in range(len(trace) + 1))
    for text in said:
        for name in named:
            if name in text:
                assert name in words


def test_the_check_names_a_nearby_kink_as_the_explanations_do() -> None:
    trace = engine.parse("relu(x)").trace({"x": 1e-5})
    (check,) = gradient_check(trace, eps=1e-4)
    assert check.kind == "kink"
    assert check.reason is not None and "relu (v₂)" in check.reason
    assert not NODE_NUMBER.search(check.reason)


@pytest.mark.parametrize(
    "order, says",
    [([3, 2, 0, 1, 1], r"lists y more than once"), ([3, 2, 0], r"leaves out y")],
)
def test_a_bad_order_names_the_box(order: list[int], says: str) -> None:
    g = engine.parse("log(x*y)")
    with pytest.raises(ValueError, match=says) as err:
        engine.backward_in_order(g, {"x": 1.0, "y": 2.0}, order)
    assert not NODE_NUMBER.search(str(err.value))


POW_REASONS = {
    "negative": "negative number to a fractional power",
    "zero": "zero to a negative power",
    "large": "largest float",
}


@pytest.mark.parametrize(
    "a, b, reason",
    [
        (-8.0, 1 / 3, "negative"),
        (-2.0, 0.5, "negative"),
        (0.0, -1.0, "zero"),
        (0.0, -2.5, "zero"),
        (10.0, 400.0, "large"),
        (-10.0, 401.0, "large"),
    ],
)
def test_a_power_without_value_says_the_one_reason_that_applies(
    a: float, b: float, reason: str
) -> None:
    # The oracle: exact or real arithmetic says which case it is.
    if reason == "negative":
        assert a < 0 and Fraction(b).denominator != 1
    elif reason == "zero":
        with pytest.raises(ZeroDivisionError):
            Fraction(0) ** -1
        assert a == 0 and b < 0
    else:
        assert abs(Fraction(a) ** int(b)) > Fraction(sys.float_info.max)
    trace = engine.parse("a^b").trace({"a": a, "b": b})
    (warning,) = [text for _, text in trace.warnings]
    for kind, words in POW_REASONS.items():
        assert (words in warning) == (kind == reason), warning
    assert not NODE_NUMBER.search(warning)


def test_x_to_the_x_at_zero_has_an_infinite_slope_not_an_overflow() -> None:
    # d/dx x^x = x^x (ln x + 1) → −∞ as x → 0⁺: a true limit, not a float too large.
    slopes = [x**x * (math.log(x) + 1) for x in (1e-10, 1e-100, 1e-300)]
    assert slopes == sorted(slopes, reverse=True) and slopes[-1] < -600
    trace = engine.parse("x^x").trace({"x": 0.0})
    assert trace.gradient["x"] == -math.inf
    said = " ".join(everything_said(trace))
    assert "infinite" in said and "−∞" in said
    assert "overflow" not in said and "largest float" not in said
    assert all(n.kind != "overflow" for n in trace.notes)
    words = " ".join(explain(trace, k).as_text() for k in range(len(trace) + 1))
    assert "slope is infinite" in words and "beyond the largest float" not in words
    (check,) = gradient_check(trace)
    assert check.kind != "overflow" and check.reason is not None
    assert "infinite" in check.reason


def test_a_slope_too_large_for_a_float_is_still_an_overflow() -> None:
    # d/dx 1/x = −1/x² = −10³⁴⁰ at 10⁻¹⁷⁰: finite, but beyond the largest float.
    assert abs(-1 / Fraction(1e-170) ** 2) > Fraction(sys.float_info.max)
    trace = engine.parse("1/x").trace({"x": 1e-170})
    assert any(n.kind == "overflow" for n in trace.notes)
    assert "infinite" not in " ".join(everything_said(trace))


def test_cli_writes_numbers_as_the_explanations_do(capsys: pytest.CaptureFixture[str]) -> None:
    x = 3.0
    value, slope = math.sin(x * x), 2 * x * math.cos(x * x)
    assert main(["sin(x^2)", "x=3"]) == 0
    out = capsys.readouterr().out
    assert f"value: {value:.4g}" in out
    assert f"d/dx: −{-slope:.4g}" in out  # a real minus, 4 digits as the explanations
    assert not re.search(r"-\d", out), out
    assert main(["sin(x^2)", "x=3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["gradient"]["x"] == pytest.approx(slope, rel=1e-12)


POWER_OF_TEN = re.compile(r"^(1|10⁻[¹²³⁴⁵⁶⁷⁸⁹][⁰¹²³⁴⁵⁶⁷⁸⁹]*)$")


@pytest.mark.parametrize(
    "page, params, count",
    [(None, {"mode": "numerical"}, 2), ("chain_rule", {}, 1)],
)
def test_eps_sliders_show_powers_of_ten(page: str | None, params: dict, count: int) -> None:
    at = AppTest.from_file("../app.py", default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    if page:
        at.switch_page(f"pages/{page}.py")
    at.run()
    at.run()  # the playground draws what is under its player in the run after its first
    assert not at.exception, [e.value for e in at.exception]
    sliders = [s for s in at.select_slider if "eps" in s.label.lower() or "ε" in s.label]
    assert len(sliders) == count, [s.label for s in sliders]
    for slider in sliders:
        assert "10⁻⁴" in slider.options, slider.options
        assert all(POWER_OF_TEN.match(o) for o in slider.options), slider.options
        assert slider.value == pytest.approx(1e-4)
