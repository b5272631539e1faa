"""The course's Square box has one input: x² draws x into the square box and no box for the
constant 2, and the topological order never visits the 2; other powers keep their exponent.

Oracles: the graph's own nodes (which node is the constant 2, which is x), central difference
on the function for the gradient, and the DOT text and SVG the diagram is laid out from.
"""

from __future__ import annotations

import math
import re

import pytest

import engine
from drawing.diagram import Element, dot_source, every_element, layout_svg, timeline
from engine.explain import explain
from engine.order import search_order, topological_backward_order
from engine.trace import OrderStep


def _constant(graph: engine.Graph, label: str) -> int:
    [n] = [n.id for n in graph.nodes if n.kind == "constant" and n.label == label]
    return n


def _power(graph: engine.Graph) -> int:
    [n] = [n.id for n in graph.nodes if n.label == "pow"]
    return n


@pytest.mark.parametrize("text", ["x^2", "sin(x^2)", "(x+1)^2"])
def test_a_square_box_has_one_input_edge_and_no_constant_2_box(text: str) -> None:
    graph = engine.parse(text)
    square, two = _power(graph), _constant(graph, "2")
    assert graph.nodes[square].args[1] == two  # the computation still reads the 2
    into = [e for e in graph.edges if e.target == square]
    assert [e.position for e in into] == [0] and into[0].source != two
    assert all(e.source != two for e in graph.edges)
    elements = every_element(graph)
    assert Element.box(two) not in elements and Element.box(square) in elements
    trace = graph.trace({v: 1.5 for v in graph.variables})
    dot = dot_source(graph, timeline(trace).widest)
    assert f'"bp-n{two}"' not in dot
    assert len(re.findall(rf'-> "bp-n{square}"', dot)) == 1
    assert all(Element.box(two) not in patch for patch in timeline(trace).patches)


def test_the_order_never_lists_the_2() -> None:
    graph = engine.parse("sin(x^2)")
    two = _constant(graph, "2")
    trace = graph.trace(x=3.0)
    assert all(s.node != two and s.via != two for s in trace.steps if isinstance(s, OrderStep))
    assert two not in graph.topological_order() and two not in trace.order
    for search in ("first-visit", "breadth-first"):
        assert two not in search_order(graph, search)
    assert two not in topological_backward_order(graph)
    said = "\n".join(explain(trace, k).as_text() for k in range(len(trace) + 1))
    assert "its inputs must be: x." in said and "inputs must be: x, 2" not in said
    # Values and the gradient are unchanged: sin(9) and 2·3·cos(9), against central difference.
    assert math.isclose(trace.value, math.sin(9.0), rel_tol=1e-12)
    slope = engine.central_difference(lambda t: math.sin(t * t), 3.0, 1e-6)
    assert math.isclose(trace.gradient["x"], float(slope), rel_tol=1e-6)


@pytest.mark.parametrize("text", ["x^3", "x^y", "2^x"])
def test_other_powers_keep_both_inputs(text: str) -> None:
    graph = engine.parse(text)
    power = _power(graph)
    assert sorted(e.position for e in graph.edges if e.target == power) == [0, 1]
    for n in graph.nodes[power].args:
        assert Element.box(n) in every_element(graph)
    if text == "x^3":
        three = _constant(graph, "3")
        trace = graph.trace(x=1.5)
        assert any(s.node == three for s in trace.steps if isinstance(s, OrderStep))


def test_a_2_used_elsewhere_is_still_drawn() -> None:
    graph = engine.parse("x^2 + 2")
    assert Element.box(_constant(graph, "2")) in every_element(graph)


def test_large_graph_layout_draws_no_box_for_the_2() -> None:
    text = " + ".join(f"sin(x{i}^2)" for i in range(40))
    graph = engine.parse(text)
    twos = [n.id for n in graph.nodes if n.kind == "constant" and n.label == "2"]
    assert twos and not any(graph.drawn[n] for n in twos)
    trace = graph.trace({v: 0.5 for v in graph.variables})
    svg = layout_svg(graph, timeline(trace).widest)
    drawn_ids = set(re.findall(r'<g id="(bp-n\d+)"', svg))
    assert drawn_ids == {f"bp-n{n.id}" for n in graph.nodes if graph.drawn[n.id]}
    assert not any(f"bp-n{n}" in drawn_ids for n in twos)
