"""A deck whose graph has collapsed boxes: each box marked, clickable in the player, and every
step tied to the node of the full graph it is about, so a page can keep the student's place
when a box is expanded."""

from __future__ import annotations

from engine import Trace
from engine.collapse import CollapsedGraph, box_of

from .diagram import node_id

# A collapsed box: a second card behind it (more inside), a hand over it in the player. Its
# border keeps the step's look (current, waiting, done) as any box's does.
BOX_CSS = """
.bp-collapsed > path { filter: drop-shadow(4px 4px 0 var(--bp-line)); }
.bp-collapsed { cursor: pointer; }
/* Its text is a whole subexpression: at the size the layout measured it, so it fits. */
.bp-collapsed text[data-line="0"] { font-size: 13px; font-weight: 600; }
.bp-collapsed:focus-visible > path { stroke: var(--bp-reading); stroke-width: 4; }
"""


def with_boxes(deck: dict, trace: Trace) -> dict:
    """`deck` (drawing.deck_data of `trace`) with its collapsed boxes marked.

    Adds `boxes` {element id: {"node": the box's root in the full graph (id + 1, as links
    number it), "text": the subexpression}} and `origins`, per frame the full graph's node id
    (+ 1) its step is about (0 at the start), and gives box elements the class bp-collapsed.
    """
    graph = trace.graph
    origins = [0] + [_origin(graph, step.node) + 1 for step in trace.steps]
    deck["origins"] = origins
    if not isinstance(graph, CollapsedGraph):
        return deck
    boxes = {}
    for n in range(len(graph.nodes)):
        box = box_of(graph, n)
        if box is not None and not box.folded:  # an operation with its constants written in
            boxes[node_id(n)] = {"node": box.root + 1, "text": box.text}
    deck["boxes"] = boxes
    deck["css"] = deck["css"] + BOX_CSS
    for frame in deck["frames"]:
        for element, look in frame["patch"].items():
            if element in boxes and "bp-collapsed" not in look["classes"].split():
                look["classes"] += " bp-collapsed"
    return deck


def _origin(graph, n: int) -> int:
    return graph.original[n] if isinstance(graph, CollapsedGraph) else n


def step_after_expanding(old: dict, new: dict, step: int, root: int, inner: set[int]) -> int:
    """Where a student on `step` of the deck `old` continues in `new`, the same function with
    the box at `root` expanded (node numbers: id + 1 in the full graph; `inner` those of its
    inside): on the same node's step in the same phase, and at the box's own forward step, at
    the first step of its inside, so the next steps go through it. The first step of the same
    phase where the node has none there."""
    frames, origins = old["frames"], old.get("origins") or []
    new_origins = new.get("origins") or []
    if not 0 <= step < min(len(frames), len(origins)):
        return 0
    phase, node = frames[step]["phase"], origins[step]
    steps = [
        k
        for k, frame in enumerate(new["frames"][: len(new_origins)])
        if frame["phase"] == phase and k
    ]
    if phase == "start" or not steps:
        return 0
    if phase == "forward" and node == root:
        first = next((k for k in steps if new_origins[k] in inner), None)
        if first is not None:
            return first
    return next((k for k in steps if new_origins[k] == node), steps[0])
