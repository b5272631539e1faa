"""Functions at the node limit are accepted and laid out: every box and edge drawn, no two boxes
overlapping, edges from what is read to what reads it. (Speed is measured in bench/layout.py.)"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import engine
from bench.worst import random_dag
from drawing.diagram import LAYERED_GRAPH, SVG_NS, build_diagram, edge_id, node_id
from drawing.layered import _pack

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def boxes_of(svg: str) -> dict[str, tuple[float, float, float, float]]:
    """Each drawn box's (left, top, right, bottom), from its outline's coordinates."""
    boxes = {}
    for group in ET.fromstring(svg).iter(f"{{{SVG_NS}}}g"):
        if "bp-n" not in group.get("id", ""):
            continue
        outline = group.find(f"{{{SVG_NS}}}path")
        if outline is None:
            outline = group.find(f"{{{SVG_NS}}}polygon")
        assert outline is not None, group.get("id")
        numbers = [float(v) for v in NUMBER.findall(outline.get("d") or outline.get("points", ""))]
        xs, ys = numbers[0::2], numbers[1::2]
        boxes[group.get("id", "")] = (min(xs), min(ys), max(xs), max(ys))
    return boxes


def overlapping(boxes: dict[str, tuple[float, float, float, float]]) -> list[tuple[str, str]]:
    """Pairs of boxes that share area (a sweep over the boxes sorted by their left side)."""
    found = []
    ordered = sorted(boxes.items(), key=lambda item: item[1][0])
    for i, (a, (_, top, right, bottom)) in enumerate(ordered):
        for b, (left2, top2, _, bottom2) in ordered[i + 1 :]:
            if left2 >= right:
                break
            if top2 < bottom and top < bottom2:
                found.append((a, b))
    return found


def crosses(segment: tuple[float, float, float, float], box: tuple[float, ...]) -> bool:
    """Whether a line segment passes through a box's inside (Liang-Barsky clipping to the box
    less half a point on every side)."""
    x0, y0, x1, y1 = segment
    left, top, right, bottom = box[0] + 0.5, box[1] + 0.5, box[2] - 0.5, box[3] - 0.5
    low, high = 0.0, 1.0
    for p, q in (
        (x0 - x1, x0 - left),
        (x1 - x0, right - x0),
        (y0 - y1, y0 - top),
        (y1 - y0, bottom - y0),
    ):
        if p == 0:
            if q < 0:
                return False
        else:
            t = q / p
            if p < 0:
                low = max(low, t)
            else:
                high = min(high, t)
    return low < high


def check_drawn(graph: engine.Graph) -> None:
    trace = graph.trace({v: 0.7 for v in graph.variables})
    diagram = build_diagram(trace)
    boxes = boxes_of(diagram.template)
    assert set(boxes) == {node_id(n.id) for n in graph.nodes}
    assert overlapping(boxes) == []
    groups = {g.get("id"): g for g in ET.fromstring(diagram.template).iter(f"{{{SVG_NS}}}g")}
    for edge in graph.edges:
        group = groups[edge_id(edge.target, edge.position)]
        # The line, its arrow, and one text per label line for the player to fill.
        assert group.find(f"{{{SVG_NS}}}path") is not None
        assert group.find(f"{{{SVG_NS}}}polygon") is not None
        assert len(group.findall(f"{{{SVG_NS}}}text")) == 2
        # Left to right, as dot draws rankdir=LR: what is read is left of what reads it.
        assert boxes[node_id(edge.source)][2] <= boxes[node_id(edge.target)][0]
        # And no line runs through a box it does not start or end at.
        line = group.find(f"{{{SVG_NS}}}path")
        assert line is not None
        numbers = [float(v) for v in NUMBER.findall(line.get("d", ""))]
        points = list(zip(numbers[0::2], numbers[1::2], strict=True))
        ends = {node_id(edge.source), node_id(edge.target)}
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            for element, box in boxes.items():
                if element not in ends and min(x0, x1) < box[2] and max(x0, x1) > box[0]:
                    assert not crosses((x0, y0, x1, y1), box), (edge, element)
    # The last frame shows every box's value in its text.
    last = diagram.svg_at(len(diagram) - 1)
    values = {
        g.get("id"): [t.text or "" for t in g.iter(f"{{{SVG_NS}}}text")]
        for g in ET.fromstring(last).iter(f"{{{SVG_NS}}}g")
        if g.get("id", "").startswith("bp-n")
    }
    assert all(lines[0].strip() for lines in values.values())


def test_the_node_limit_is_at_least_500() -> None:
    assert engine.MAX_NODES >= 500


@pytest.mark.parametrize(
    "text",
    [
        "*".join(["x"] * 500),  # x feeds every level of a 499-deep chain
        "+".join(f"{k}x" for k in range(1, 167)),  # a long sum, x read by every term
    ],
    ids=["x*x*...*x", "1x+2x+..."],
)
def test_a_function_at_the_limit_is_accepted_and_every_box_is_drawn_apart(text: str) -> None:
    graph = engine.parse(text)  # the app's own limits
    assert len(graph.nodes) > 490
    check_drawn(graph)


def test_a_random_dag_with_shared_parts_is_drawn_apart() -> None:
    check_drawn(random_dag(engine.MAX_NODES, seed=1))


def test_graphs_just_over_dots_size_are_drawn_apart() -> None:
    text = "+".join(f"sin({k}x)*(x+y)" for k in range(1, 40))
    graph = engine.parse(text)
    assert len(graph.nodes) > LAYERED_GRAPH
    check_drawn(graph)


def test_one_node_more_than_the_limit_is_refused_with_the_limit_named() -> None:
    text = "*".join(["x"] * 501)
    with pytest.raises(engine.ParseError, match=f"more than {engine.MAX_NODES}") as caught:
        engine.parse(text, max_length=len(text))
    assert "smaller function" in str(caught.value)


def test_packing_keeps_order_and_gaps_and_stays_where_nothing_collides() -> None:
    sizes = [40.0, 60.0, 40.0, 80.0]
    apart = [0.0, 500.0, 1000.0, 1500.0]
    assert _pack(apart, sizes) == pytest.approx(apart)  # far apart: each where it wished
    packed = _pack([0.0, 0.0, 0.0, 0.0], sizes)  # all wish the same place: spread around it
    for i in range(1, len(sizes)):
        assert packed[i] - packed[i - 1] >= (sizes[i - 1] + sizes[i]) / 2
    assert sum(packed) / len(packed) == pytest.approx(0.0)


def test_boxes_are_the_size_graphviz_gives_their_texts() -> None:
    # The same layout drawn by Graphviz itself (nop2 keeps the positions given): every box of
    # ours has the size and place of Graphviz's box for the same label lines, so no text
    # overflows its box.
    from drawing.diagram import layout_svg, placed_source, render_svg, timeline

    graph = engine.parse("+".join(f"sin({k}x)*(x+y)^2/θ" for k in range(1, 25)))
    assert len(graph.nodes) > LAYERED_GRAPH
    widest = timeline(graph.trace({v: 0.7 for v in graph.variables})).widest
    ours = boxes_of(layout_svg(graph, widest))
    theirs = boxes_of(render_svg(placed_source(graph, widest), "nop2"))
    assert ours.keys() == theirs.keys()
    # Graphviz's y grows the other way and its drawing has its own origin: compare sizes and
    # distances from the first box.
    first = node_id(0)
    for element in ours:
        (l1, t1, r1, b1), (l2, t2, r2, b2) = ours[element], theirs[element]
        assert r1 - l1 == pytest.approx(r2 - l2, rel=1e-3, abs=0.5), element
        assert b1 - t1 == pytest.approx(b2 - t2, abs=0.5), element
        assert l1 - ours[first][0] == pytest.approx(l2 - theirs[first][0], rel=1e-3, abs=0.5), (
            element
        )
        assert t1 - ours[first][1] == pytest.approx(t2 - theirs[first][1], abs=0.5), element


@pytest.mark.parametrize(
    "text",
    [
        "+".join(f"sin({k}x)*(x+y)^2/θ" for k in range(1, 25)),
        "*".join(["x"] * 500),
    ],
    ids=["sum of quotients", "x*x*...*x"],
)
def test_a_large_graphs_template_is_what_svg_template_makes_of_its_svg(text: str) -> None:
    # A large graph's template is written at once (layered.draw_svg); the general way reads the
    # drawn SVG and rewrites it (svg_template). Element for element, attribute for attribute,
    # they give the same picture.
    from drawing.diagram import layout_svg, layout_template, svg_template, timeline

    graph = engine.parse(text)
    assert len(graph.nodes) > LAYERED_GRAPH
    widest = timeline(graph.trace({v: 0.7 for v in graph.variables})).widest
    general = svg_template(layout_svg(graph, widest))
    direct = layout_template(graph, widest)
    assert "<title>" not in direct and 'data-line="1"' in direct
    assert ET.canonicalize(direct, strip_text=True) == ET.canonicalize(general, strip_text=True)


def test_the_search_explained_in_any_order_matches_replaying_it() -> None:
    # Explanations carry the search's state from one call to the next; asked out of order,
    # again, or for another trace in between, each step must still tell its own state.
    from engine.explain import search_state

    trace = engine.parse("log(xy)+exp(xy)*sin(xy+x)").trace({"x": 1.0, "y": 2.0})
    other = engine.parse("x*x*y").trace({"x": 1.0, "y": 2.0})
    truth = [
        (list(s.stack), set(s.visited), list(s.order)) for s in trace.states()
    ]  # one state object updated in place: copied as it goes
    order_steps = [
        k for k in range(len(trace) + 1) if k == 0 or trace.steps[k - 1].phase == "order"
    ]
    asked = order_steps + order_steps[::-1] + order_steps[::3] + order_steps[1::2]
    for i, k in enumerate(asked):
        if i % 7 == 0:
            search_state(other, len(other) // 2)
        assert search_state(trace, k) == truth[k], k


def test_explanations_at_the_limit_name_a_long_list_by_its_count() -> None:
    # x*x*…*x: x fans out to 499 products and the search's stack grows 500 deep; a step's
    # words stay short instead of naming hundreds of boxes (which made the deck 5 MB larger).
    from engine.explain import explain

    trace = engine.parse("*".join(["x"] * 500)).trace({"x": 1.0})
    deep = skipped = 0
    for k, state in enumerate(trace.states()):
        if k == 0 or state.phase != "order":
            continue
        words = " ".join(line.text for line in explain(trace, k).lines)
        assert len(words) < 1000, k
        if len(state.stack) > 12:
            assert f"Stack: {len(state.stack)} nodes, the top six: " in words
            deep += 1
        if trace.steps[k - 1].action == "skip":
            assert "it fans out to 499 operations: " in words
            skipped += 1
    assert deep > 400 and skipped > 400
