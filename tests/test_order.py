"""engine.order: the backward orders a student can try, against the graph's own structure."""

from __future__ import annotations

import itertools
import math

import pytest

import engine


def users(graph: engine.Graph) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {n.id: set() for n in graph.nodes}
    for node in graph.nodes:
        for a in node.args:
            found[a].add(node.id)
    return found


def respects(graph: engine.Graph, order: list[int]) -> bool:
    """Every node after all its users that take part: an oracle from the edges alone."""
    where = {n: k for k, n in enumerate(order)}
    return all(where[u] < where[n] for n in order for u in users(graph)[n] if u in where)


@pytest.mark.parametrize("text", ["log(xy)+exp(xy)", "(a+b)(b+1)", "sin(x) + sin(x)^2", "x*2 + 3"])
def test_orders(text):
    graph = engine.parse(text)
    ops = engine.operations(graph)
    assert sorted(ops) == sorted(
        n.id for n in graph.nodes if n.kind == "operation" and graph.needs_gradient[n.id]
    )
    assert respects(graph, engine.topological_backward_order(graph))
    variables = [n.id for n in graph.nodes if n.kind == "variable"]
    for chosen in itertools.permutations(ops):
        order = engine.backward_order(graph, list(chosen))
        assert order == list(chosen) + variables
    for search in engine.order.SEARCHES:
        order = engine.search_order(graph, search)
        assert sorted(order) == sorted(ops + variables)


def test_an_incomplete_or_repeated_order_is_refused():
    graph = engine.parse("log(xy)+exp(xy)")
    ops = engine.operations(graph)
    for chosen in ([], ops[:1], ops[:-1], ops + ops[:1], ops[:-1] + [0]):
        with pytest.raises(ValueError):
            engine.backward_order(graph, chosen)
    assert engine.unplaced(graph, []) == ops
    assert engine.unplaced(graph, ops[1:]) == ops[:1]


def test_depth_first_breaks_where_a_node_fans_out_and_breadth_first_does_not_here():
    graph = engine.parse("log(xy)+exp(xy)")
    assert not respects(graph, engine.search_order(graph, "first-visit"))
    assert respects(graph, engine.search_order(graph, "breadth-first"))


def test_an_order_from_text_and_its_firings():
    graph = engine.parse("log(xy)+exp(xy)")
    assert engine.order_of_text(graph, "6, 3") == [5, 2]
    for bad in ("1", "6,6", "x", "6,,9"):
        with pytest.raises(ValueError):
            engine.order_of_text(graph, bad)
    order = engine.backward_order(graph, [5, 2, 3, 4])  # × before log and exp: too early
    tried = engine.backward_in_order(graph, {"x": 1, "y": 2}, order)
    right = engine.backward_in_order(
        graph, {"x": 1, "y": 2}, engine.topological_backward_order(graph)
    )
    fired = engine.firings(tried, right)
    assert [f.node for f in fired] == order and [f.at for f in fired] == list(range(1, 7))
    times = {f.node: f for f in fired}
    assert set(times[2].early_by) == {3, 4} and times[2].d_out == 0.0
    assert times[2].d_out_in_order == pytest.approx(0.5 + math.exp(2))
