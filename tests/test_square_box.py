"""The course's Square box has one input: x² draws x into the square box and no box for the
constant 2, and the topological order never visits the 2; other powers keep their exponent.

Oracles: the graph's own nodes (which node is the constant 2, which is x), central difference
on the function for the gradient, and the DOT text and SVG the diagram is laid out from.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from drawing.deck import deck_data
from drawing.diagram import Element, dot_source, every_element, layout_svg, timeline
from engine.__main__ import main
from engine.collapse import collapse, function_calls, read_collapse
from engine.explain import explain
from engine.format import subscript
from engine.order import search_order, topological_backward_order
from engine.pytorch import program
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


# -- the numbers students read: v₂, v₃, … over the boxes drawn, with no gap ------------------

SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def _number(name: str) -> int | None:
    """The number in a name the diagram shows on a box (v₁₂ -> 12), None for none."""
    match = re.fullmatch(r"v([₀-₉]+)", name)
    return int(match.group(1).translate(SUBSCRIPTS)) if match else None


def _boxes(trace: engine.Trace) -> dict[int, str]:
    """Every box the diagram draws (node id -> the name on it, "" for an input), read from
    the first frame, which draws every element: the line under each box's symbol."""
    first = timeline(trace).patches[0]
    return {e.at: look.texts[1] for e, look in sorted(first.items()) if e.kind == "node"}


def _said(trace: engine.Trace) -> str:
    return "\n".join(explain(trace, k).as_text() for k in range(len(trace) + 1))


def assert_numbered_without_gaps(trace: engine.Trace) -> None:
    graph = trace.graph
    boxes = _boxes(trace)
    # In node order, the k-th box drawn is number k: an operation is called v_k, an input
    # (x, 2, π) takes its place in the count under its own name. No number is skipped.
    for k, (node, name) in enumerate(boxes.items(), 1):
        if graph.nodes[node].kind == "operation":
            assert _number(name) == k, (graph, node, name)
        else:
            assert name == "", (graph, node, name)
    # The explanations, and a box's text that names another box (v₂ + 1 with the constants
    # written in), name the same boxes and no other: every v_k said is on a box.
    shown = {name for name in boxes.values() if name}
    text = _said(trace) + " ".join(graph.nodes[n].symbol for n in boxes)
    said = {f"v{digits}" for digits in re.findall(r"v([₀-₉]+)", text)}
    assert said <= shown, (graph, said - shown)


def _texts(draw: st.DrawFn, depth: int) -> str:
    rule = draw(st.sampled_from(["leaf", "leaf", "2", "+", "*", "^2", "^3", "call", "shared"]))
    if depth == 0 or rule == "leaf":
        return draw(st.sampled_from(["x", "y", "z", "1", "3", "pi"]))
    if rule == "2":  # the same 2 as a square's exponent, where both appear: merged into one node
        return "2"
    if rule == "call":
        name = draw(st.sampled_from(["sin", "exp", "tanh", "sigmoid"]))
        return f"{name}({_texts(draw, depth - 1)})"
    if rule in ("^2", "^3"):
        return f"({_texts(draw, depth - 1)}){rule}"
    a = _texts(draw, depth - 1)
    if rule == "shared":  # a subexpression used twice: one node with fan-out
        return f"({a})*sin({a})"
    return f"({a}){rule}({_texts(draw, depth - 1)})"


@st.composite
def functions(draw: st.DrawFn) -> str:
    return _texts(draw, 4)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(functions(), st.booleans())
def test_the_boxes_are_numbered_without_gaps(text: str, merge: bool) -> None:
    graph = engine.parse(text, merge=merge)
    point = {v: 0.5 for v in graph.variables}
    assert_numbered_without_gaps(graph.trace(point))
    # Collapsed or with the constants written in, the graph drawn is numbered the same way.
    assert_numbered_without_gaps(collapse(graph, hide_constants=True).trace(point))
    calls = function_calls(graph)
    if calls:
        assert_numbered_without_gaps(collapse(graph, calls).trace(point))


def test_sin_of_x_squared_is_x_v2_v3(capsys: pytest.CaptureFixture[str]) -> None:
    graph = engine.parse("sin(x^2)")
    square, two = _power(graph), _constant(graph, "2")
    trace = graph.trace(x=3.0)
    # The diagram: x, then the square as v₂ and sin as v₃; the 2 is neither drawn nor counted.
    assert list(_boxes(trace).values()) == ["", "v₂", "v₃"] and two not in _boxes(trace)
    assert "square (v₂)" in _said(trace) and "v₄" not in _said(trace)
    # The CLI and the slides say the same.
    assert main(["sin(x^2)", "x=3", "--trace"]) == 0
    out = capsys.readouterr().out
    assert "Forward pass: square (v₂)" in out and "Forward pass: sin (v₃)" in out
    assert "v₄" not in out
    slides = " ".join(f["html"] for f in deck_data(trace, title="sin(x^2)")["frames"])
    assert "square (v₂)" in slides and "sin (v₃)" in slides and "v₄" not in slides
    # Node ids, and the node numbers a link holds (id + 1), do not move: collapse=4 is sin.
    assert read_collapse(f"{graph.output + 1}", graph) == (graph.output,)
    assert square == two + 1 and graph.output == square + 1


def test_the_pytorch_program_names_a_shared_value_as_the_diagram_does() -> None:
    # x² is used twice, so the program names it; the 2 before it takes no number.
    graph = engine.parse("sin(x^2) + exp(x^2)")
    square = _power(graph)
    [name] = [n for n in _boxes(graph.trace(x=1.0)).values() if n and _number(n) == square]
    assert name == f"v{subscript(square)}"
    assert f"v{square} = x ** 2" in program(graph).code
