"""Collapsing a subexpression into one box: the same gradients as the expanded graph and as
central difference, fewer steps, one forward and one backward step for the box."""

from __future__ import annotations

import math
import pickle
import random

import numpy as np
import pytest

import engine
from engine.collapse import (
    box_of,
    collapse,
    collapse_text,
    function_calls,
    inside,
    read_collapse,
    reading,
    subexpressions,
)
from engine.explain import explain
from engine.trace import BackwardStep, ForwardStep

FUNCTIONS = [
    "sigmoid(w1*x1 + w2*x2 + w3*x3 + b)",
    "log(xy) + exp(xy)",
    "sigmoid(w5*sigmoid(w1*x + w2*y + b1) + w6*tanh(w3*x + w4*y + b2) + b3)",
    "x*x*sin(x*y) / (1 + y^2)",
    "sqrt(x^2 + y^2) - relu(x - 2*y) + 3",
    "(a - b)/(c*d) + a^b",
]


def point(graph: engine.Graph, seed: int = 0) -> dict[str, float]:
    rng = random.Random(seed)
    return {v: rng.uniform(0.3, 1.7) for v in graph.variables}


def choices(graph: engine.Graph) -> list[tuple[int, ...]]:
    """Every subexpression alone, the function calls, and all of them at once."""
    roots = [s.node for s in subexpressions(graph)]
    return [(r,) for r in roots] + [function_calls(graph), tuple(roots)]


@pytest.mark.parametrize("text", FUNCTIONS)
@pytest.mark.parametrize("merge", [True, False])
def test_gradients_equal_the_expanded_graph_and_central_difference(text, merge):
    graph = engine.parse(text, merge=merge)
    values = point(graph)
    expanded = graph.trace(values)
    central = graph.numerical_gradient(values, eps=1e-6)
    for roots in choices(graph):
        collapsed = collapse(graph, roots)
        trace = collapsed.trace(values)
        assert trace.value == pytest.approx(expanded.value, rel=1e-12)
        for name in graph.variables:
            assert trace.gradient[name] == pytest.approx(expanded.gradient[name], rel=1e-10)
            assert trace.gradient[name] == pytest.approx(central[name], rel=1e-6, abs=1e-8)
        numerical = collapsed.trace(values, local="numerical", eps=1e-6)
        for name in graph.variables:
            assert numerical.gradient[name] == pytest.approx(central[name], rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("text", FUNCTIONS)
def test_stepping_goes_over_a_collapsed_box_and_through_it_expanded(text):
    graph = engine.parse(text)
    values = point(graph)
    expanded = graph.trace(values)
    for (root,) in choices(graph)[:-2]:
        collapsed = collapse(graph, [root])
        trace = collapsed.trace(values)
        hidden = [n for n in inside(graph, root) if n != root]
        operations_hidden = sum(1 for n in hidden if graph.nodes[n].kind == "operation")
        assert operations_hidden >= 1
        assert len(trace) < len(expanded)
        forward = [s for s in trace.steps if isinstance(s, ForwardStep)]
        assert len(forward) == sum(1 for n in graph.nodes if n.kind == "operation") - (
            operations_hidden
        )
        # The box: one forward and one backward step, where the root was, with its inputs.
        box = collapsed.original.index(root)
        assert box_of(collapsed, box) is not None
        assert [s.node for s in forward].count(box) == 1
        backward = [s for s in trace.steps if isinstance(s, BackwardStep) and s.node == box]
        assert len(backward) == 1
        assert len(backward[0].sends) == sum(
            1 for a in collapsed.nodes[box].args if collapsed.needs_gradient[a]
        )
        # No step of the collapsed graph is about a node hidden in the box: every node it
        # steps on is a node of the full graph outside the box, or the box.
        for step in trace.steps:
            assert collapsed.original[step.node] not in hidden
        # Expanded, the steps go through the inside: each hidden operation has its steps.
        for n in hidden:
            if graph.nodes[n].kind == "operation":
                assert any(isinstance(s, ForwardStep) and s.node == n for s in expanded.steps)


def test_the_box_shows_its_value_and_its_d_out():
    graph = engine.parse("sigmoid(w1*x1 + w2*x2 + w3*x3 + b)")
    values = {"w1": 0.5, "x1": 1.0, "w2": -1.0, "x2": 2.0, "w3": 0.3, "x3": -1.5, "b": 0.1}
    collapsed = collapse(graph, function_calls(graph))
    assert [n.kind for n in collapsed.nodes].count("operation") == 1
    trace = collapsed.trace(values)
    z = 0.5 * 1.0 + -1.0 * 2.0 + 0.3 * -1.5 + 0.1
    s = 1 / (1 + math.exp(-z))
    assert trace.value == pytest.approx(s, rel=1e-15)
    assert len(trace) == 1 + 2 * 8 + 8  # one forward; enter and finish 8 nodes; 8 backward
    step = next(s for s in trace.steps if isinstance(s, BackwardStep))
    assert [send.local for send in step.sends] == pytest.approx(
        [s * (1 - s) * v for v in (1.0, 0.5, 2.0, -1.0, -1.5, 0.3, 1.0)]
    )
    forward = explain(trace, 1)
    assert "sigmoid(w1·x1 + w2·x2 + w3·x3 + b)" in forward.as_text()
    assert "collapsed" in forward.as_text()
    backward = explain(trace, 1 + 16 + 1).as_text()
    assert "local derivatives come from its inside" in backward


def test_subexpressions_read_as_written_and_keep_shared_values_outside():
    graph = engine.parse("log(xy) + exp(xy)")
    # xy is read by log and by exp: log(xy) alone is one operation, not worth a box.
    assert [s.text for s in subexpressions(graph)] == ["log(x·y) + exp(x·y)"]
    box = collapse(graph, [next(n.id for n in graph.nodes if n.label == "log")])
    assert len(box.nodes) == len(graph.nodes)  # xy stays outside, as an input of the box
    graph = engine.parse("a - (b - c) + 2^3^x * (-y)")
    assert reading(graph, graph.output) == "a − (b − c) + 2^3^x·(−y)"
    assert engine.parse(reading(graph, graph.output)) == graph


def test_an_outer_box_holds_an_inner_one_until_expanded():
    graph = engine.parse("sigmoid(w5*sigmoid(w1*x + w2*y + b1) + b3)")
    calls = [s.node for s in subexpressions(graph) if s.call]
    inner, outer = calls
    assert function_calls(graph) == (inner,)
    both = collapse(graph, [inner, outer])
    assert sum(1 for n in both.nodes if n.kind == "operation") == 1
    only_inner = collapse(graph, [inner])
    assert box_of(only_inner, only_inner.original.index(inner)) is not None
    assert sum(1 for n in only_inner.nodes if n.kind == "operation") == 4  # ·, +, σ, box


def test_arrays_evaluate_as_the_expanded_graph():
    graph = engine.parse("sigmoid(w*x + b) * x")
    collapsed = collapse(graph, function_calls(graph))
    xs = np.linspace(-2, 2, 7)
    np.testing.assert_allclose(
        collapsed.evaluate(w=0.7, x=xs, b=0.2), graph.evaluate(w=0.7, x=xs, b=0.2), rtol=1e-15
    )


def test_a_collapsed_graph_survives_a_pickle():
    graph = engine.parse("sigmoid(w1*x1 + w2*x2 + b)")
    collapsed = pickle.loads(pickle.dumps(collapse(graph, function_calls(graph))))  # noqa: S301 (the test's own graph)
    values = point(graph)
    assert collapsed.gradient(values) == pytest.approx(graph.gradient(values), rel=1e-12)


def test_the_link_list_is_read_as_untrusted_data():
    graph = engine.parse("sigmoid(w1*x1 + w2*x2 + b)")
    numbers = [s.number for s in subexpressions(graph)]
    assert read_collapse(" , ".join(map(str, numbers)), graph) == tuple(n - 1 for n in numbers)
    assert read_collapse("", graph) == ()
    assert collapse_text(read_collapse(f"{numbers[-1]},{numbers[0]}", graph)) == (
        f"{numbers[0]},{numbers[-1]}"
    )
    for bad, says in [
        ("x", "is not a node number"),
        ("1e3", "is not a node number"),
        ("-3", "is not a node number"),
        ("٣", "is not a node number"),
        ("<script>alert(1)</script>" * 10, "is not a node number"),
        ("1", "node 1 is not a subexpression"),  # w1, a variable
        ("999999", "node 999999 is not a subexpression"),
        ("9" * 400, "is not a node number"),
    ]:
        with pytest.raises(ValueError, match=says) as error:
            read_collapse(bad, graph)
        assert len(str(error.value)) < 200
    with pytest.raises(ValueError, match="no subexpression to collapse"):
        read_collapse("3", engine.parse("x*y"))


@pytest.mark.parametrize("text", FUNCTIONS + ["2x + 3y", "3", "x*2 + 2", "2^x + x^2"])
def test_hidden_constants_keep_the_gradients_and_leave_no_constant_box(text):
    graph = engine.parse(text)
    values = point(graph, 1)
    central = graph.numerical_gradient(values, eps=1e-6)
    for roots in [(), function_calls(graph)]:
        folded = collapse(graph, roots, hide_constants=True)
        trace = folded.trace(values)
        for name in graph.variables:
            assert trace.gradient[name] == pytest.approx(central[name], rel=1e-6, abs=1e-8)
        constants = [n for n in folded.nodes if n.kind == "constant"]
        # A constant stays only as the function itself or as the input of a collapsed box.
        for c in constants:
            users = [n for n in folded.nodes if c.id in n.args]
            assert c.id == folded.output or all(
                box_of(folded, u.id) is not None and not box_of(folded, u.id).folded for u in users
            )
        if any(n.kind == "constant" for n in graph.nodes) and graph.variables:
            assert len(trace) < len(graph.trace(values))


def test_a_hidden_constant_is_written_into_its_box():
    graph = engine.parse("sigmoid(2*x + 1) * x^2")
    folded = collapse(graph, hide_constants=True)
    assert [n.symbol for n in folded.nodes] == ["x", "2·x", "v₂ + 1", "sigmoid", "x^2", "×"]
    trace = folded.trace(x=0.5)
    text = explain(trace, 1).as_text()
    assert "2·x with its constants written in" in text and "expand" not in text


@pytest.mark.parametrize(
    "text",
    FUNCTIONS
    + [
        "+".join(f"a*x{i}" for i in range(120)),
        " + ".join(f"sigmoid(a{i}*x+b)" for i in range(30)),
        "sigmoid(sigmoid(x*y)*sigmoid(x+y)) + x*y",
    ],
)
@pytest.mark.parametrize("merge", [True, False])
def test_the_list_of_subexpressions_follows_the_definition_of_inside(text, merge):
    """Worked out in one pass (dominators, texts from their inputs' texts), the list agrees
    with `inside` and `reading` taken node by node."""
    graph = engine.parse(text, merge=merge)
    found = {s.node: s for s in subexpressions(graph)}
    calls = set()
    for node in graph.nodes:
        if node.kind != "operation":
            continue
        inner = inside(graph, node.id)
        operations = sum(1 for n in inner if graph.nodes[n].kind == "operation")
        assert (node.id in found) == (operations >= 2)
        if node.id in found:
            assert found[node.id].operations == operations
            assert found[node.id].text == reading(graph, node.id, 100)
            if found[node.id].call:
                calls.add(node.id)
    innermost = {r for r in calls if not any(n in calls for n in inside(graph, r) if n != r)}
    assert set(function_calls(graph)) == innermost


@pytest.mark.parametrize("text, root", [("x + sqrt(2-3)", "sqrt"), ("log(-1)", "log")])
def test_a_box_of_constants_with_no_value_is_warned_about_not_a_crash(text, root):
    # Collapsed, sqrt(2 − 3) is a box with no inputs; its nan is named like any other.
    from drawing.deck import deck_data

    graph = engine.parse(text)
    box = next(n.id for n in graph.nodes if n.label == root)
    boxed = collapse(graph, [box])
    trace = boxed.trace({v: 1.0 for v in boxed.variables})
    [(node, warning)] = trace.warnings
    assert boxed.nodes[node].args == () and math.isnan(trace.values[node])
    assert warning.startswith(f"{boxed.nodes[node].label} = nan")
    deck = deck_data(trace)
    assert "nan" in deck["frames"][1 + [s.node for s in trace.steps].index(node)]["html"]
