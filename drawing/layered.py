"""Box positions for large graphs, computed here in linear-ish time, for Graphviz to draw.

Graphviz's `dot` gives the course's functions their layout, but its time grows steeply with long
edges (a variable that feeds every level of a chain): minutes at 500 nodes, however its effort
is bounded. Above a size, the diagram is laid out here and Graphviz only draws it at the given
positions (its `nop2` engine, the same SVG elements, ids and classes as `dot`):

- columns: each box sits one column left of the leftmost box that reads it (its longest path
  to the output), so a sum's terms sit next to the `+` that adds them, and the output is on the
  right, as `dot` draws it with `rankdir=LR`;
- order in a column: first seen in a depth-first search from the output, arguments in order
  (a tree then has no crossing edges), then a few barycentre sweeps, kept only while they
  reduce crossings between neighbouring columns;
- heights: each box as near as it can be to the boxes it is joined to, by a few sweeps that
  place a column's boxes in order with no overlap, as near their wished heights as can be
  (pool-adjacent-violators: each sweep is linear in the column's size);
- edges: straight lines, their labels on the line just before the box they enter.

Everything is iterative (no recursion on graph size); sizes come from Graphviz's own text
widths, measured once per character, so boxes are drawn exactly the size that was planned for.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from engine import Graph

POINTS = 72.0  # Graphviz sizes in inches, places in points
NODE_FONT = 14.0
EDGE_FONT = 13.0
LINE = 1.2  # a text line is 1.2 font sizes tall
MARGIN_X, MARGIN_Y = 0.18 * POINTS, 0.08 * POINTS  # the node's margin="0.18,0.08"
MIN_WIDTH, MIN_HEIGHT = 0.75 * POINTS, 0.5 * POINTS  # Graphviz's default box size
NODE_GAP = 0.35 * POINTS  # nodesep
COLUMN_GAP = 0.7 * POINTS  # ranksep
SLACK = 2.0  # points around each box, against rounding
SWEEPS = 4  # barycentre sweeps over the columns (each way)
PLACEMENTS = 6  # height sweeps (alternating direction)

Widths = Callable[[str], float]  # a text's width in points at NODE_FONT
Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    x: float  # centre, points, y growing downwards
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Layout:
    boxes: tuple[Box, ...]  # per node id
    edges: dict[tuple[int, int], tuple[Point, ...]]  # per (target, position), its polyline
    labels: dict[tuple[int, int], Point]  # per (target, position), the label's centre
    column: tuple[int, ...]  # per node id, 0 = leftmost


def box_size(
    lines: Sequence[str], width_of: Widths, font: float = NODE_FONT
) -> tuple[float, float]:
    """The size Graphviz gives a box with these label lines (in points)."""
    scale = font / NODE_FONT
    text = max((width_of(line) * scale for line in lines), default=0.0)
    width = max(MIN_WIDTH, text + 2 * MARGIN_X)
    height = max(MIN_HEIGHT, len(lines) * font * LINE + 2 * MARGIN_Y)
    return width, height


def _columns(graph: Graph) -> list[int]:
    """Longest path to the output, as a column counted from the left."""
    depth = [0] * len(graph.nodes)
    for n in reversed(graph.topological_order()):  # users before what they read
        for a in graph.nodes[n].inputs:
            depth[a] = max(depth[a], depth[n] + 1)
    deepest = max(depth, default=0)
    return [deepest - d for d in depth]


def _first_seen(graph: Graph) -> list[int]:
    """Each node's place in a depth-first search from the output, arguments in order."""
    seen = [-1] * len(graph.nodes)
    stack = [graph.output]
    count = 0
    while stack:
        n = stack.pop()
        if seen[n] >= 0:
            continue
        seen[n] = count
        count += 1
        stack.extend(reversed(graph.nodes[n].inputs))
    for n in range(len(seen)):  # not read by the output (not made by the parser)
        if seen[n] < 0:
            seen[n], count = count, count + 1
    return seen


def _crossings(
    ranks: list[list[int]], column: list[int], edges: list[tuple[int, int]], where: list[float]
) -> int:
    """Crossings between edges joining neighbouring columns (longer edges are not counted)."""
    between: dict[int, list[tuple[float, float]]] = {}
    for source, target in edges:
        if column[target] - column[source] == 1:
            between.setdefault(column[source], []).append((where[source], where[target]))
    total = 0
    for pairs in between.values():
        pairs.sort()
        # Inversions of the targets' order, counted by merge sort (bottom-up, no recursion).
        values = [t for _, t in pairs]
        width = 1
        while width < len(values):
            merged: list[float] = []
            for start in range(0, len(values), 2 * width):
                left = values[start : start + width]
                right = values[start + width : start + 2 * width]
                i = j = 0
                while i < len(left) and j < len(right):
                    if right[j] < left[i]:
                        total += len(left) - i
                        merged.append(right[j])
                        j += 1
                    else:
                        merged.append(left[i])
                        i += 1
                merged.extend(left[i:])
                merged.extend(right[j:])
            values = merged
            width *= 2
    return total


def _places(ranks: list[list[int]], size: int) -> list[float]:
    """Each node's place in its column, from 0 (top) to 1 (bottom)."""
    where = [0.0] * size
    for rank in ranks:
        for i, n in enumerate(rank):
            where[n] = (i + 0.5) / len(rank)
    return where


def _order(graph: Graph, column: list[int]) -> list[list[int]]:
    """The boxes of each column, top to bottom."""
    size = len(graph.nodes)
    seen = _first_seen(graph)
    ranks: list[list[int]] = [[] for _ in range(max(column, default=0) + 1)]
    for n in sorted(range(size), key=seen.__getitem__):
        if graph.drawn[n]:  # not the 2 of a square
            ranks[column[n]].append(n)
    edges = [(a, node.id) for node in graph.nodes for a in node.inputs]
    neighbours: list[list[int]] = [[] for _ in range(size)]
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)

    where = _places(ranks, size)
    best = _crossings(ranks, column, edges, where)
    best_ranks = [list(r) for r in ranks]
    for sweep in range(2 * SWEEPS):
        if best == 0:
            break
        order = range(len(ranks)) if sweep % 2 == 0 else range(len(ranks) - 1, -1, -1)
        for c in order:
            rank = ranks[c]
            centre = {}
            for n in rank:
                # Neighbours on the side the sweep comes from; a box with none keeps its place.
                near = [
                    where[m]
                    for m in neighbours[n]
                    if (column[m] < c if sweep % 2 == 0 else column[m] > c)
                ]
                centre[n] = sum(near) / len(near) if near else where[n]
            rank.sort(key=lambda n: (centre[n], where[n]))
            for i, n in enumerate(rank):
                where[n] = (i + 0.5) / len(rank)
        crossings = _crossings(ranks, column, edges, where)
        if crossings < best:
            best, best_ranks = crossings, [list(r) for r in ranks]
    return best_ranks


def _pack(wished: list[float], sizes: list[float]) -> list[float]:
    """Centres in the given order, each `sizes[i]/2 + gap + sizes[i+1]/2` below the one above,
    as near the wished centres as can be (least squares): pool adjacent violators on the
    wished centres less each box's least offset from the first."""
    offsets = [0.0]
    for i in range(1, len(sizes)):
        offsets.append(offsets[-1] + (sizes[i - 1] + sizes[i]) / 2 + NODE_GAP + 2 * SLACK)
    blocks: list[list[float]] = []  # [mean, count]
    for w, o in zip(wished, offsets, strict=True):
        blocks.append([w - o, 1.0])
        while len(blocks) > 1 and blocks[-2][0] >= blocks[-1][0]:
            mean, count = blocks.pop()
            blocks[-1][0] = (blocks[-1][0] * blocks[-1][1] + mean * count) / (blocks[-1][1] + count)
            blocks[-1][1] += count
    result = []
    for mean, count in blocks:
        result.extend([mean] * int(count))
    return [z + o for z, o in zip(result, offsets, strict=True)]


def layered_layout(
    graph: Graph,
    node_lines: Sequence[Sequence[str]],
    edge_lines: Mapping[tuple[int, int], Sequence[str]],
    width_of: Widths,
) -> Layout:
    """Boxes and edge labels for a graph: see the module's description."""
    size = len(graph.nodes)
    column = _columns(graph)
    ranks = _order(graph, column)
    sizes = [box_size(node_lines[n], width_of) for n in range(size)]
    users: list[list[int]] = [[] for _ in range(size)]
    for node in graph.nodes:
        for a in node.inputs:
            users[a].append(node.id)

    # Heights: from the output leftwards (each box near those that read it), then rightwards
    # (each operation near its arguments), and so on.
    y = [0.0] * size
    for sweep in range(PLACEMENTS):
        leftwards = sweep % 2 == 0
        for c in range(len(ranks) - 1, -1, -1) if leftwards else range(len(ranks)):
            rank = ranks[c]
            wished = []
            for n in rank:
                near = users[n] if leftwards else list(graph.nodes[n].inputs)
                wished.append(sum(y[m] for m in near) / len(near) if near else y[n])
            for n, centre in zip(rank, _pack(wished, [sizes[n][1] for n in rank]), strict=True):
                y[n] = centre

    # Columns: as wide as their widest box, apart by the gap and the widest label entering.
    entering = [0.0] * len(ranks)
    for (reader, _), lines in edge_lines.items():
        width = box_size(lines, width_of, EDGE_FONT)[0] - 2 * MARGIN_X
        entering[column[reader]] = max(entering[column[reader]], width)
    widest = [0.0] * len(ranks)
    for n in range(size):
        if graph.drawn[n]:
            widest[column[n]] = max(widest[column[n]], sizes[n][0])
    left = [0.0] * len(ranks)
    for c in range(1, len(ranks)):
        left[c] = left[c - 1] + widest[c - 1] + COLUMN_GAP + entering[c] + 2 * SLACK
    x = [left[column[n]] + widest[column[n]] / 2 for n in range(size)]
    boxes = tuple(Box(x[n], y[n], sizes[n][0], sizes[n][1]) for n in range(size))

    # Edges leave a box's right side in its middle and enter the left side of the box that
    # reads them, its arguments spread from top to bottom in order (so x*x has two lines).
    # An edge that skips columns runs under (or over) each of them, so that no line crosses a
    # box: x*x*…*x's x feeds its products from one line under the chain. Each label sits on
    # its line, in the middle of the gap before the box it enters, above the line (below for
    # the lower of two arguments).
    tops = [math.inf] * len(ranks)
    bottoms = [-math.inf] * len(ranks)
    for box, c, shown in zip(boxes, column, graph.drawn, strict=True):
        if not shown:
            continue
        tops[c] = min(tops[c], box.y - box.height / 2)
        bottoms[c] = max(bottoms[c], box.y + box.height / 2)
    sides = []  # (lane per column, climbing summed up to each column, next change)
    for lane in ([b + NODE_GAP for b in bottoms], [t - NODE_GAP for t in tops]):
        climbed = [0.0] * len(lane)
        for k in range(1, len(lane)):
            climbed[k] = climbed[k - 1] + abs(lane[k] - lane[k - 1])
        change = [len(lane)] * len(lane)
        for k in range(len(lane) - 2, -1, -1):
            change[k] = k + 1 if lane[k + 1] != lane[k] else change[k + 1]
        sides.append((lane, climbed, change))
    edges: dict[tuple[int, int], tuple[Point, ...]] = {}
    labels: dict[tuple[int, int], Point] = {}
    for node in graph.nodes:
        target = boxes[node.id]
        c = column[node.id]
        count = len(node.input_positions)
        gap_right = target.x - target.width / 2
        for k, position in enumerate(node.input_positions):
            a = node.args[position]
            source = boxes[a]
            start = (source.x + source.width / 2, source.y)
            spread = (k - (count - 1) / 2) * target.height / (count + 1)
            end = (gap_right, target.y + spread)
            # Straight out of the source's column, across the gap, straight into the box: only
            # the gaps between columns, where no box is, have slanting lines.
            out_of = left[column[a]] + widest[column[a]]
            points = [start, (out_of, start[1])]
            if c - column[a] > 1:
                # Under (or over) each column it skips, clear of its boxes, changing height
                # only across the gaps between columns: the side with less climbing. Sums and
                # runs of equal height are precomputed, so this costs the number of changes.
                first, last = column[a] + 1, c - 1
                climbs = [
                    abs(start[1] - lane[first])
                    + abs(end[1] - lane[last])
                    + climbed[last]
                    - climbed[first]
                    for lane, climbed, _ in sides
                ]
                lane, _, change = sides[climbs.index(min(climbs))]
                k = first
                while k <= last:
                    run_end = min(change[k], last + 1) - 1  # the run's last column
                    points += [(left[k], lane[k]), (left[run_end] + widest[run_end], lane[k])]
                    k = run_end + 1
            points += [(left[c], end[1]), end]
            drawn = [points[0]]
            for point in points[1:]:
                if abs(point[0] - drawn[-1][0]) + abs(point[1] - drawn[-1][1]) <= 0.01:
                    continue
                if len(drawn) > 1 and drawn[-2][1] == drawn[-1][1] == point[1]:
                    drawn[-1] = point  # one piece for a level run
                else:
                    drawn.append(point)
            # The label on the slanting piece across the gap before the target's column.
            (x0, y0), (x1, y1) = points[-3], points[-2]
            at_x = (x0 + x1) / 2
            on_line = (y0 + y1) / 2
            half = len(edge_lines[(node.id, position)]) * EDGE_FONT * LINE / 2
            lower = count > 1 and position == count - 1
            edges[(node.id, position)] = tuple(drawn)
            labels[(node.id, position)] = (at_x, on_line + half if lower else on_line - half)
    return Layout(boxes, edges, labels, tuple(column))


def measure_characters(render: Callable[[str], str], characters: set[str]) -> dict[str, float]:
    """Graphviz's width of each character at NODE_FONT, read from one layout in JSON."""
    chars = sorted(characters)
    lines = [
        "digraph widths {",
        '  node [shape=plaintext, fontname="Helvetica", fontsize=14, margin=0, pos="0,0"];',
    ]
    for i, ch in enumerate(chars):
        text = ch.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'  c{i} [label="{text}"];')
    lines.append("}")
    data = json.loads(render("\n".join(lines)))
    widths: dict[str, float] = {}
    for obj in data.get("objects", []):
        index = int(obj["name"][1:])
        spans = [op for op in obj.get("_ldraw_", []) if op.get("op") == "T"]
        widths[chars[index]] = float(spans[0]["width"]) if spans else 0.0
    return widths


RADIUS = 12.0  # the rounded corners Graphviz draws for style=rounded
ARROW_LENGTH, ARROW_HALF_WIDTH = 8.0, 2.8  # arrowsize=0.8
PAD = 0.15 * POINTS


def _f(v: float) -> str:
    return f"{v:.2f}"


def _texts(lines: Sequence[str], x: float, y: float, font: float, template: bool) -> list[str]:
    """One <text> per line, centred on (x, y), at the baselines Graphviz uses; in a template,
    empty and numbered by its line instead (drawing.diagram.svg_template)."""
    step = font * LINE
    first = y - len(lines) * step / 2 + 0.9 * font
    start = '<text xml:space="preserve" text-anchor="middle"'
    if template:
        return [
            f'{start} x="{_f(x)}" y="{_f(first + i * step)}" data-line="{i}"></text>'
            for i in range(len(lines))
        ]
    return [
        f'{start} x="{_f(x)}" y="{_f(first + i * step)}"'
        f' font-family="Helvetica,sans-Serif" font-size="{font:.2f}">{html.escape(line)}</text>'
        for i, line in enumerate(lines)
    ]


def draw_svg(
    graph: Graph,
    layout: Layout,
    node_lines: Sequence[Sequence[str]],
    edge_lines: Mapping[tuple[int, int], Sequence[str]],
    width_of: Widths,
    node_id: Callable[[int], str],
    edge_id: Callable[[int, int], str],
    template: bool = False,
) -> str:
    """The SVG Graphviz would draw for this layout: the same elements, ids and classes (a group
    per box with its outline and one text per line, a group per edge with its line, arrow and
    label lines), written here in one pass instead of by Graphviz's nop2 engine.
    `template`: written as drawing.diagram.svg_template would make it of that SVG (its texts
    empty and numbered, no titles, no fixed fonts), which at 500 nodes saves reading and
    writing 7,000 elements again."""
    # The drawing's extent: every box and every label.
    lefts, tops, rights, bottoms = [], [], [], []
    for box, shown in zip(layout.boxes, graph.drawn, strict=True):
        if not shown:
            continue
        lefts.append(box.x - box.width / 2)
        rights.append(box.x + box.width / 2)
        tops.append(box.y - box.height / 2)
        bottoms.append(box.y + box.height / 2)
    for points in layout.edges.values():
        for x, y in points:
            lefts.append(x)
            rights.append(x)
            tops.append(y)
            bottoms.append(y)
    scale = EDGE_FONT / NODE_FONT
    for key, (x, y) in layout.labels.items():
        lines = edge_lines[key]
        half_w = max((width_of(t) * scale for t in lines), default=0.0) / 2
        half_h = len(lines) * EDGE_FONT * LINE / 2
        lefts.append(x - half_w)
        rights.append(x + half_w)
        tops.append(y - half_h)
        bottoms.append(y + half_h)
    dx, dy = PAD - min(lefts, default=0.0), PAD - min(tops, default=0.0)
    width = max(rights, default=0.0) + dx + PAD
    height = max(bottoms, default=0.0) + dy + PAD

    size = (
        f'width="{width:.0f}pt" height="{height:.0f}pt" viewBox="0.00 0.00 {_f(width)} '
        f'{_f(height)}"'
    )
    out = (
        [f'<svg xmlns="http://www.w3.org/2000/svg" {size} class="bp-diagram">']
        if template
        else [
            '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
            f'<svg {size} xmlns="http://www.w3.org/2000/svg" '
            'xmlns:xlink="http://www.w3.org/1999/xlink">',
        ]
    )
    out += [
        '<g id="graph0" class="graph">',
        f'<polygon fill="transparent" stroke="none" points="0,0 {_f(width)},0 {_f(width)},'
        f'{_f(height)} 0,{_f(height)} 0,0"/>',
    ]
    for node in graph.nodes:
        if not graph.drawn[node.id]:
            continue
        box = layout.boxes[node.id]
        cx, cy = box.x + dx, box.y + dy
        left, right = cx - box.width / 2, cx + box.width / 2
        top, bottom = cy - box.height / 2, cy + box.height / 2
        r = min(RADIUS, box.width / 2, box.height / 2)
        outline = (
            f"M{_f(left + r)},{_f(top)} L{_f(right - r)},{_f(top)} "
            f"Q{_f(right)},{_f(top)} {_f(right)},{_f(top + r)} L{_f(right)},{_f(bottom - r)} "
            f"Q{_f(right)},{_f(bottom)} {_f(right - r)},{_f(bottom)} L{_f(left + r)},{_f(bottom)} "
            f"Q{_f(left)},{_f(bottom)} {_f(left)},{_f(bottom - r)} L{_f(left)},{_f(top + r)} "
            f"Q{_f(left)},{_f(top)} {_f(left + r)},{_f(top)} Z"
        )
        element = node_id(node.id)
        title = "" if template else f"<title>{element}</title>"
        out.append(f'<g id="{element}" class="node">{title}')
        out.append(f'<path fill="lightgrey" stroke="black" stroke-width="1.5" d="{outline}"/>')
        out.extend(_texts(node_lines[node.id], cx, cy, NODE_FONT, template))
        out.append("</g>")
    for node in graph.nodes:
        for position in node.input_positions:
            key = (node.id, position)
            drawn = [(x + dx, y + dy) for x, y in layout.edges[key]]
            (x0, y0), (x1, y1) = drawn[-2], drawn[-1]
            length = max(1e-6, ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5)
            ux, uy = (x1 - x0) / length, (y1 - y0) / length
            bx, by = x1 - ARROW_LENGTH * ux, y1 - ARROW_LENGTH * uy
            px, py = -uy * ARROW_HALF_WIDTH, ux * ARROW_HALF_WIDTH
            line = " L".join(f"{_f(x)},{_f(y)}" for x, y in [*drawn[:-1], (bx, by)])
            element = edge_id(node.id, position)
            title = "" if template else f"<title>{element}</title>"
            out.append(f'<g id="{element}" class="edge">{title}')
            out.append(f'<path fill="none" stroke="black" stroke-width="1.5" d="M{line}"/>')
            out.append(
                f'<polygon fill="black" stroke="black" stroke-width="1.5" points="{_f(x1)},'
                f"{_f(y1)} {_f(bx + px)},{_f(by + py)} {_f(bx - px)},{_f(by - py)} "
                f'{_f(x1)},{_f(y1)}"/>'
            )
            lx, ly = layout.labels[key]
            out.extend(_texts(edge_lines[key], lx + dx, ly + dy, EDGE_FONT, template))
            out.append("</g>")
    out.append("</g>\n</svg>\n")
    return "\n".join(out)
