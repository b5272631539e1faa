"""A forward-mode pass as a deck for the step player: the same boxes, laid out the same way.

Each box shows its value and its tangent (its derivative with respect to the chosen input);
each edge, once used, shows the value it carried and the local derivative its tangent is
multiplied by. The deck has the format of `deck_data`, so the one player shows both modes.
"""

from __future__ import annotations

from engine.explain import node_name, number_text
from engine.forward_mode import ForwardModeTrace, explain_forward_mode

from .deck import deck_shape, explanation_html
from .diagram import (
    Look,
    Patch,
    diagram_css,
    edge_id,
    layout_svg,
    node_id,
    record_look,
    svg_template,
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
        elif n in graph.nodes[current].args:
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
    everything = [node_id(n.id) for n in graph.nodes] + [
        edge_id(e.target, e.position) for e in graph.edges
    ]
    known = trace.known_after(0)

    def touched(current: int | None) -> set[str]:
        if current is None:
            return set()
        args = graph.nodes[current].args
        return {
            node_id(current),
            *(node_id(a) for a in args),
            *(edge_id(current, p) for p in range(len(args))),
        }

    looks: dict[str, Look] = {}
    widest: dict[str, list[str]] = {}
    patches: list[Patch] = []
    previous: int | None = None
    for k in range(len(trace) + 1):
        current = trace.steps[k - 1].node if k else None
        if current is not None:
            known.add(current)
        elements = everything if k == 0 else sorted(touched(previous) | touched(current))
        patch: Patch = {}
        for element in elements:
            kind, rest = element[3], element[4:]
            if kind == "n":
                look = _node_look(trace, known, current, int(rest))
            else:
                target, position = map(int, rest.split("-"))
                look = _edge_look(trace, step_of, k, current, target, position)
            record_look(patch, looks, widest, element, look)
        patches.append(patch)
        previous = current

    svg = layout_svg(graph, {k: tuple(v) for k, v in widest.items()})
    frames = [
        {
            "phase": PHASE if k else "start",
            "html": explanation_html(explain_forward_mode(trace, k)),
            "patch": {e: [look.classes, list(look.texts)] for e, look in patch.items()},
        }
        for k, patch in enumerate(patches)
    ]
    phases = [{"name": PHASE, "title": TITLE, "first": 1, "last": len(trace)}] if len(trace) else []
    return {
        "title": title or f"{graph.text} · forward mode, ∂/∂{trace.wrt}",
        "svg": svg_template(svg),
        "css": diagram_css(),
        "shape": deck_shape(graph, len(frames), phases),
        "chips": 0,
        "frames": frames,
        "phases": phases,
        "local": "symbolic",
    }
