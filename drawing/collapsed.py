"""A deck whose graph has collapsed boxes: each box marked, clickable in the player, and what
each box holds of the full graph, so the player keeps the student's place when boxes are
collapsed or expanded (each frame says which node of the full graph its step is about, see
drawing.deck.StepKey)."""

from __future__ import annotations

from engine import Trace
from engine.collapse import CollapsedGraph

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
    number it), "text": the subexpression}} and `holds` {a box's root number: the numbers of
    the full graph's nodes drawn as that box}, also for an operation with its constants
    written in, and gives box elements the class bp-collapsed. Each frame's `node` (see
    drawing.deck.StepKey) is the full graph's node its step is about.
    """
    graph = trace.graph
    if not isinstance(graph, CollapsedGraph):
        return deck
    boxes, holds = {}, {}
    for n, box in graph.boxes().items():
        holds[str(box.root + 1)] = [m + 1 for m in box.holds]
        if not box.folded:  # an operation with its constants written in is not expanded
            boxes[node_id(n)] = {"node": box.root + 1, "text": box.text}
    deck["boxes"], deck["holds"] = boxes, holds
    deck["css"] = deck["css"] + BOX_CSS
    for frame in deck["frames"]:
        for element, look in frame["patch"].items():
            if element in boxes and "bp-collapsed" not in look["classes"].split():
                look["classes"] += " bp-collapsed"
    return deck
