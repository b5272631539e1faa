"""A forward-mode pass as a deck for the step player: the same boxes, laid out the same way.

Each box shows its value and its tangent (its derivative with respect to the chosen input);
each edge, once used, shows the value it carried and the local derivative its tangent is
multiplied by. The deck has the format of `deck_data`, so the one player shows both modes.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.explain import node_name, number_text
from engine.forward_mode import ForwardModeTrace, explain_forward_mode

from .deck import Frame, PhaseSpan, deck_json, explanation_html, step_key
from .diagram import (
    Element,
    Look,
    every_element,
    layout_template,
    timeline_of,
)

PHASE = "forward"
TITLE = "Forward mode"


def _node_look(trace: ForwardModeTrace, known: set[int], current: int | None, n: int) -> Look:
    graph = trace.graph
    node = graph.nodes[n]
    classes = ["bp-node", f"bp-{node.kind}", "bp-known" if n in known else "bp-pending"]
    if n == graph.output:
        classes.append("bp-output")
    if current is not None:
        if current == n:
            classes.append("bp-current")
        elif n in graph.nodes[current].inputs:
            classes.append("bp-reading")
    tag = node_name(graph, n)[0] if node.kind == "operation" else ""
    if node.kind == "constant":
        shown = (number_text(trace.values[n]),) if node.symbol in ("π", "e") else ()
        return Look(" ".join(classes), (node.symbol, tag) + shown)
    value = number_text(trace.values[n]) if n in known else ""
    tangent = f"∂/∂{trace.wrt} = {number_text(trace.dots[n])}" if n in known else ""
    return Look(" ".join(classes), (node.symbol, tag, value, tangent))


def _edge_look(
    trace: ForwardModeTrace,
    step_of: dict[int, int],
    k: int,
    current: int | None,
    target: int,
    position: int,
) -> Look:
    classes = ["bp-edge"]
    texts = ("", "")
    index = step_of[target]
    if index < k:  # the target has been computed: its inputs travelled along this edge
        step = trace.steps[index]
        classes.append("bp-passed")
        texts = (number_text(step.inputs[position]), f"local {number_text(step.locals[position])}")
    if current == target:
        classes.append("bp-active")
    return Look(" ".join(classes), texts)


def forward_mode_deck(trace: ForwardModeTrace, *, title: str = "") -> dict:
    """The player's deck for a forward-mode pass: frame 0 seeds, then one frame per operation."""
    graph = trace.graph
    step_of = {step.node: i for i, step in enumerate(trace.steps)}
    everything = every_element(graph)
    known = trace.known_after(0)

    def touched(current: int | None) -> set[Element]:
        if current is None:
            return set()
        node = graph.nodes[current]
        return {
            Element.box(current),
            *(Element.box(a) for a in node.inputs),
            *(Element.edge(current, p) for p in node.input_positions),
        }

    def look(element: Element, k: int, current: int | None) -> Look:
        if element.kind == "node":
            return _node_look(trace, known, current, element.at)
        return _edge_look(trace, step_of, k, current, element.at, element.position)

    def frames() -> Iterator[list[tuple[Element, Look]]]:
        previous: int | None = None
        for k in range(len(trace) + 1):
            current = trace.steps[k - 1].node if k else None
            if current is not None:
                known.add(current)
            elements = everything if k == 0 else sorted(touched(previous) | touched(current))
            yield [(element, look(element, k, current)) for element in elements]
            previous = current

    drawn = timeline_of(frames())
    return deck_json(
        title=title or f"{graph.text} · forward mode, ∂/∂{trace.wrt}",
        graph=graph,
        svg=layout_template(graph, drawn.widest),
        frames=[
            Frame(
                PHASE if k else "start",
                explanation_html(explain_forward_mode(trace, k)),
                patch,
                step_key(graph, trace.steps[k - 1] if k else None),
            )
            for k, patch in enumerate(drawn.patches)
        ],
        phases=[PhaseSpan(PHASE, TITLE, 1, len(trace))] if len(trace) else [],
        chips=0,
        local="symbolic",
    )
