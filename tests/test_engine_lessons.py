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


@pytest.mark.parametrize(
    "text, point, partials",
    [
        ("sin(x^2)", {"x": 3.0}, {"x": lambda x: 2 * x * math.cos(x * x)}),
        (
            "log(xy) + exp(xy)",
            {"x": 1.0, "y": 2.0},
            {
                "x": lambda x, y: 1 / x + y * math.exp(x * y),
                "y": lambda x, y: 1 / y + x * math.exp(x * y),
            },
        ),
        (
            "sigmoid(w x + b)",
            {"w": 2.0, "x": -1.0, "b": 0.5},
            {
                "w": lambda w, x, b: x * _s(w * x + b) * (1 - _s(w * x + b)),
                "x": lambda w, x, b: w * _s(w * x + b) * (1 - _s(w * x + b)),
                "b": lambda w, x, b: _s(w * x + b) * (1 - _s(w * x + b)),
            },
        ),
        ("x/x", {"x": 3.0}, {"x": lambda x: 0.0}),
        (
            "x^y",
            {"x": 2.0, "y": 3.0},
            {"x": lambda x, y: y * x ** (y - 1), "y": lambda x, y: x**y * math.log(x)},
        ),
    ],
)
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
        return f"({a} / (2 + ({b})^2))"  # never divides by zero
    if kind == "pow":
        return f"({a})^{rng.choice(['2', '3'])}"
    f = rng.choice(["sin", "cos", "tanh", "sigmoid", "exp", "log", "sqrt"])
    if f in ("log", "sqrt"):
        return f"{f}(1 + ({a})^2)"  # always positive
    if f == "exp":
        return f"exp(sin({a}))"  # never overflows
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
    assert deck["phases"] == [{"name": "forward", "title": "Forward mode", "first": 1, "last": 3}]
    # Every element of the picture is set in frame 0, and the output ends with tangent 5.
    assert 'id="bp-n5"' in deck["svg"]
    final = {}
    for frame in deck["frames"]:
        final.update(frame["patch"])
    assert final["bp-n5"]["texts"][2:] == ["6", "∂/∂b = 5"]
    assert final["bp-e5-0"]["texts"] == ["3", "local 2"]


# -- the backward pass in a chosen order -------------------------------------------------------


def _ids(g: engine.Graph) -> dict[str, int]:
    """log(xy)+exp(xy): x, y, × (the product), log, exp, + by label."""
    return {n.label: n.id for n in g.nodes}


def test_the_topological_order_given_explicitly_gives_the_usual_gradient() -> None:
    g = engine.parse("log(xy) + exp(xy)")
    right = engine.backward_in_order(g, {"x": 1.0, "y": 2.0}, g.topological_order()[::-1])
    assert right.gradient == pytest.approx({"x": 1 + 2 * math.exp(2), "y": 0.5 + math.exp(2)})
    backward = [s for s in right.steps if s.phase == "backward"]
    assert all(s.early_by == () for s in backward)
    assert all(not send.late for s in backward for send in s.sends)
    # No search in this trace, but its order is still the topological one, to draw.
    assert [s.phase for s in right.steps].count("order") == 0
    assert right.order == tuple(g.topological_order())


def test_firing_the_product_before_exp_has_sent_gives_a_wrong_gradient() -> None:
    g = engine.parse("log(xy) + exp(xy)")
    i = _ids(g)
    order = [i["add"], i["log"], i["mul"], i["x"], i["y"], i["exp"]]
    wrong = engine.backward_in_order(g, {"x": 1.0, "y": 2.0}, order)
    steps = {s.node: s for s in wrong.steps if s.phase == "backward"}
    assert [s.node for s in wrong.steps if s.phase == "backward"] == order
    # × fired with only log's 1/(xy) = 0.5: exp's e^(xy) had not arrived.
    assert steps[i["mul"]].early_by == (i["exp"],)
    assert steps[i["mul"]].d_out == 0.5
    assert all(s.early_by == () for n, s in steps.items() if n != i["mul"])
    # exp's contribution arrives late and stops at ×.
    (late,) = steps[i["exp"]].sends
    assert late.to == i["mul"] and late.late
    assert wrong.gradient == {"x": 0.5 * 2.0, "y": 0.5 * 1.0}
    assert wrong.gradient["x"] != pytest.approx(g.gradient(x=1.0, y=2.0)["x"])


def test_first_visit_and_breadth_first_orders() -> None:
    g = engine.parse("log(xy) + exp(xy)")
    i = _ids(g)
    # Depth first, as each node is first reached: × comes before exp, one of its users.
    assert engine.first_visit_order(g) == [i["add"], i["log"], i["mul"], i["x"], i["y"], i["exp"]]
    # Breadth first: × is two steps from the output along both paths, so it comes after both.
    assert engine.breadth_first_order(g) == [i["add"], i["log"], i["exp"], i["mul"], i["x"], i["y"]]
    bfs = engine.backward_in_order(g, {"x": 1.0, "y": 2.0}, engine.breadth_first_order(g))
    assert bfs.gradient == pytest.approx(g.gradient(x=1.0, y=2.0))
    # Where paths have different lengths, breadth first fires too early as well.
    g2 = engine.parse("sin(x) + sin(x)^2")
    wrong = engine.backward_in_order(g2, {"x": 0.5}, engine.breadth_first_order(g2))
    assert any(s.early_by for s in wrong.steps if s.phase == "backward")
    assert wrong.gradient["x"] != pytest.approx(g2.gradient(x=0.5)["x"])


@pytest.mark.parametrize(
    "order, message",
    [
        ([5, 3, 4, 2, 0], "leaves out y: every node"),
        ([5, 3, 4, 2, 0, 1, 1], "more than once"),
        ([5, 3, 4, 2, 0, 1, 9], "not a node id"),
        ([5, 3, 4, 2, 0, "1"], "not a node id"),
    ],
)
def test_a_bad_order_is_refused_with_a_reason(order, message) -> None:
    g = engine.parse("log(xy) + exp(xy)")
    with pytest.raises(ValueError, match=message):
        engine.backward_in_order(g, {"x": 1.0, "y": 2.0}, order)


def test_constants_may_be_left_out_of_an_order() -> None:
    g = engine.parse("2x")  # 2 (0), x (1), × (2)
    trace = engine.backward_in_order(g, {"x": 3.0}, [2, 1])
    assert trace.gradient == {"x": 2.0}


def test_the_early_node_is_explained_and_marked_on_the_diagram() -> None:
    from drawing import deck_data
    from engine.explain import explain

    g = engine.parse("log(xy) + exp(xy)")
    trace = engine.backward_in_order(g, {"x": 1.0, "y": 2.0}, engine.first_visit_order(g))
    k = next(k for k, s in enumerate(trace.steps, 1) if getattr(s, "early_by", ()))
    explanation = explain(trace, k)
    assert "fired too early" in explanation.warning and "exp (v₅)" in explanation.warning
    assert "arrives too late" in explain(trace, len(trace)).as_text()
    deck = deck_data(trace)
    mul = "bp-n2"
    assert "bp-warn" not in deck["frames"][k - 1]["patch"].get(mul, {"classes": ""})["classes"]
    assert "bp-warn" in deck["frames"][k]["patch"][mul]["classes"].split()
    # The mark stays on every later look of the node.
    later = [f["patch"][mul]["classes"] for f in deck["frames"][k:] if mul in f["patch"]]
    assert later and all("bp-warn" in c.split() for c in later)
    assert [p["name"] for p in deck["phases"]] == ["forward", "backward"]


def test_the_search_shows_its_stack_and_visited_set() -> None:
    from engine.explain import explain

    g = engine.parse("log(xy) + exp(xy)")
    trace = g.trace(x=1.0, y=2.0)
    texts = [explain(trace, k).as_text() for k in trace.phase_range("order")]
    assert "Stack: v₆, v₄, v₃, x. Visited: x, v₃, v₄, v₆." in texts[3]
    assert texts[-1].endswith("Stack: empty. Visited: x, y, v₃, v₄, v₅, v₆.")


# -- local derivatives chosen per box ----------------------------------------------------------


def test_each_box_can_have_its_own_local_mode() -> None:
    g = engine.parse("sin(x^2)")  # x (0), 2 (1), square (2), sine (3)
    trace = g.trace({"x": 3.0}, local={3: "numerical"})
    assert trace.local == "mixed"
    steps = {s.node: s for s in trace.steps if s.phase == "backward"}
    (sine,) = steps[3].sends
    (square,) = steps[2].sends
    assert sine.numerical is not None  # by central difference
    assert square.numerical is None  # by its formula, 2x
    assert sine.local == pytest.approx(math.cos(9.0), abs=1e-7)
    assert square.local == 6.0
    assert round(trace.gradient["x"], 4) == -5.4668
    # All one mode through a mapping is that mode; the old single-mode call is unchanged.
    assert g.trace({"x": 3.0}, local={2: "numerical", 3: "numerical"}).local == "numerical"
    assert g.trace({"x": 3.0}, local={}).local == "symbolic"
    assert g.trace({"x": 3.0}, local="numerical").local == "numerical"


def test_the_explanation_names_each_boxs_own_mode() -> None:
    from engine.explain import explain

    g = engine.parse("sin(x^2)")
    trace = g.trace({"x": 3.0}, local={3: "numerical"})
    texts = [explain(trace, k).as_text() for k in trace.phase_range("backward")]
    assert "Local derivatives: by central difference." in texts[0]  # sine
    assert "Local derivatives: symbolic." in texts[1]  # square


@pytest.mark.parametrize(
    "local, message",
    [
        ({0: "numerical"}, "not an operation"),
        ({7: "numerical"}, "not an operation"),
        ({3: "magic"}, "must be 'symbolic' or 'numerical'"),
        ("magic", "must be 'symbolic' or 'numerical'"),
    ],
)
def test_a_bad_local_mode_is_refused(local, message) -> None:
    g = engine.parse("sin(x^2)")
    with pytest.raises(ValueError, match=message):
        g.trace({"x": 3.0}, local=local)
