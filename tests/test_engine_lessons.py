"""The engine's lesson additions: forward mode (dual numbers), backward passes in a chosen order,
and local derivatives chosen per box.

Expected numbers come from formulas written out by hand with `math`, or from the other mode of
differentiation; none is copied from the function under test.
"""

from __future__ import annotations

import math
import random

import pytest

import engine
from drawing.forward_mode import forward_mode_deck
from engine.forward_mode import explain_forward_mode, forward_mode, forward_mode_gradient


def close(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# -- forward mode ------------------------------------------------------------------------------

def test_colahs_example_by_forward_mode() -> None:
    # e = (a+b)(b+1) at a = 2, b = 1: de/db = (b+1) + (a+b) = 5, de/da = b+1 = 2.
    g = engine.parse("(a+b)(b+1)")
    trace = forward_mode(g, {"a": 2.0, "b": 1.0}, wrt="b")
    assert trace.value == 6.0
    assert trace.derivative == 5.0
    assert forward_mode(g, a=2.0, b=1.0, wrt="a").derivative == 2.0
    # One step per operation, each with its value, tangent and local derivatives.
    assert len(trace) == 3
    c, d, e = trace.steps
    assert (c.value, c.dot, c.locals) == (3.0, 1.0, (1.0, 1.0))
    assert (d.value, d.dot) == (2.0, 1.0)
    assert (e.value, e.dot, e.locals, e.tangents) == (6.0, 5.0, (2.0, 3.0), (1.0, 1.0))
    # a does not depend on b: its tangent takes no part.
    assert c.used == (False, True)


@pytest.mark.parametrize("a, b", [(2.0, 1.0), (-1.5, 0.25), (0.0, 3.0)])
def test_colahs_example_against_its_partials(a: float, b: float) -> None:
    g = engine.parse("(a+b)(b+1)")
    by_forward = forward_mode_gradient(g, a=a, b=b)
    assert close(by_forward["a"], b + 1)
    assert close(by_forward["b"], a + 2 * b + 1)


@pytest.mark.parametrize("text, point, partials", [
    ("sin(x^2)", {"x": 3.0}, {"x": lambda x: 2 * x * math.cos(x * x)}),
    ("log(xy) + exp(xy)", {"x": 1.0, "y": 2.0},
     {"x": lambda x, y: 1 / x + y * math.exp(x * y),
      "y": lambda x, y: 1 / y + x * math.exp(x * y)}),
    ("sigmoid(w x + b)", {"w": 2.0, "x": -1.0, "b": 0.5},
     {"w": lambda w, x, b: x * _s(w * x + b) * (1 - _s(w * x + b)),
      "x": lambda w, x, b: w * _s(w * x + b) * (1 - _s(w * x + b)),
      "b": lambda w, x, b: _s(w * x + b) * (1 - _s(w * x + b))}),
    ("x/x", {"x": 3.0}, {"x": lambda x: 0.0}),
    ("x^y", {"x": 2.0, "y": 3.0},
     {"x": lambda x, y: y * x ** (y - 1), "y": lambda x, y: x ** y * math.log(x)}),
])
def test_forward_mode_against_formulas_by_hand(text, point, partials) -> None:
    g = engine.parse(text)
    by_forward = forward_mode_gradient(g, point)
    for name, formula in partials.items():
        assert close(by_forward[name], formula(**point)), name


def _s(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _random_function(rng: random.Random, depth: int) -> str:
    """A random expression of x, y, z that stays where every op is defined."""
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(["x", "y", "z", "2", "0.5", "x", "y"])
    kind = rng.choice(["add", "sub", "mul", "div", "unary", "unary", "pow"])
    a = _random_function(rng, depth - 1)
    b = _random_function(rng, depth - 1)
    if kind == "add":
        return f"({a} + {b})"
    if kind == "sub":
        return f"({a} - {b})"
    if kind == "mul":
        return f"({a} * {b})"
    if kind == "div":
        return f"({a} / (2 + ({b})^2))"     # never divides by zero
    if kind == "pow":
        return f"({a})^{rng.choice(['2', '3'])}"
    f = rng.choice(["sin", "cos", "tanh", "sigmoid", "exp", "log", "sqrt"])
    if f in ("log", "sqrt"):
        return f"{f}(1 + ({a})^2)"           # always positive
    if f == "exp":
        return f"exp(sin({a}))"              # never overflows
    return f"{f}({a})"


@pytest.mark.parametrize("seed", range(40))
def test_forward_mode_agrees_with_reverse_mode_on_random_functions(seed: int) -> None:
    rng = random.Random(seed)
    text = _random_function(rng, 4)
    g = engine.parse(text)
    if not g.variables:
        pytest.skip("a constant")
    point = {v: rng.uniform(-2, 2) for v in g.variables}
    by_reverse = g.gradient(point)
    by_forward = forward_mode_gradient(g, point)
    for name in g.variables:
        assert close(by_forward[name], by_reverse[name], rel=1e-9, abs_=1e-9), (text, name)


def test_a_branch_without_the_input_does_not_spoil_the_tangent() -> None:
    # log(y) at y = 0 has an infinite local derivative, but y is not what we differentiate by.
    g = engine.parse("x^2 + log(y)")
    assert forward_mode(g, x=3.0, y=0.0, wrt="x").derivative == 6.0


def test_forward_mode_rejects_unknown_inputs() -> None:
    g = engine.parse("x^2")
    with pytest.raises(ValueError, match="not a variable"):
        forward_mode(g, x=1.0, wrt="y")
    with pytest.raises(ValueError, match="missing a value"):
        forward_mode(g, {}, wrt="x")


def test_forward_mode_explains_the_tangent_arithmetic() -> None:
    g = engine.parse("(a+b)(b+1)")
    trace = forward_mode(g, a=2.0, b=1.0, wrt="b")
    seed = explain_forward_mode(trace, 0).as_text()
    assert "a\u0307 = 0" in seed and "b\u0307 = 1" in seed  # a, b with a dot above
    last = explain_forward_mode(trace, 3).as_text()
    assert "= 2 · 1 + 3 · 1 = 5" in last
    assert "∂v₆/∂b = 5" in last


def test_forward_mode_deck_has_the_players_format() -> None:
    g = engine.parse("(a+b)(b+1)")
    deck = forward_mode_deck(forward_mode(g, a=2.0, b=1.0, wrt="b"))
    assert set(deck) >= {"title", "svg", "css", "chips", "frames", "phases"}
    assert len(deck["frames"]) == 1 + 3
    assert deck["phases"] == [{"name": "forward", "title": "Forward mode", "first": 1,
                               "last": 3}]
    # Every element of the picture is set in frame 0, and the output ends with tangent 5.
    assert 'id="bp-n5"' in deck["svg"]
    final = {}
    for frame in deck["frames"]:
        final.update(frame["patch"])
    assert final["bp-n5"][1][2:] == ["6", "∂/∂b = 5"]
    assert final["bp-e5-0"][1] == ["3", "local 2"]
