"""A trace as a deck: the diagram, every step's patch and explanation, ready for the player.

The same deck feeds the player in the app and the self-contained slide file, so the two always
step alike: `deck_data` builds it, `standalone_html` wraps it with the player into one HTML file
that needs no network and no server.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from engine import PHASE_TITLES, PHASES, BackwardStep, Graph, OrderStep, Step, TangentStep, Trace
from engine.check import gradient_check
from engine.collapse import CollapsedGraph
from engine.explain import Explanation, explain, number_text

from .diagram import Diagram, Element, Look, Patch, build_diagram, diagram_css
from .mathml import to_mathml

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def math_html(latex: str) -> str:
    """LaTeX as MathML, which browsers render natively: math that works offline."""
    return to_mathml(latex)


def explanation_html(explanation: Explanation) -> str:
    lines = []
    for line in explanation.lines:
        parts = [math_html(s.latex) if s.latex is not None else html.escape(s.text) for s in line]
        lines.append(f"<p>{''.join(parts)}</p>")
    if explanation.warning:
        lines.append(f'<p class="bp-warning">⚠ {html.escape(explanation.warning)}</p>')
    return f"<h3>{html.escape(explanation.title)}</h3>{''.join(lines)}"


def gradient_check_html(trace: Trace, eps: float) -> str:
    """The gradient by backpropagation beside central difference on the whole function, and
    why they differ where they do."""
    rows, reasons = [], []
    for check in gradient_check(trace, eps):
        difference = abs(check.backprop - check.central)
        rows.append(
            f"<tr><th>{html.escape(check.variable)}</th>"
            f"<td>{number_text(check.backprop)}</td><td>{number_text(check.central)}"
            f"</td><td>{number_text(difference, 2) if math.isfinite(difference) else 'nan'}"
            "</td></tr>"
        )
        if check.reason:
            reasons.append(
                f'<p class="bp-check-why">{html.escape(check.variable)}: '
                f"{html.escape(check.reason)}.</p>"
            )
    return (
        '<table class="bp-check"><caption>Gradient: backpropagation and central '
        f"difference (eps = {number_text(eps)})</caption><tr><th></th><th>backprop</th>"
        "<th>central diff.</th><th>|difference|</th></tr>"
        + "".join(rows)
        + "</table>"
        + "".join(reasons)
    )


def patch_json(patch: Patch) -> dict[str, dict]:
    """A patch as the player reads it: {element's SVG id: {"classes": …, "texts": […]}}. The
    one place a look becomes JSON, for every deck."""
    return {
        _element_id(element): {"classes": look.classes, "texts": list(look.texts)}
        for element, look in patch.items()
    }


@lru_cache(maxsize=1 << 14)
def _element_id(element: Element) -> str:
    # A large deck names its few thousand elements tens of thousands of times.
    return element.id


def _mark_early(trace: Trace, patches: tuple[Patch, ...]) -> list[Patch]:
    """The patches with every node that fired too early (a backward pass in a wrong order)
    marked by the warning look from its step on. Its step restyles it, so the mark starts
    there, and each later restyle keeps it."""
    if not any(isinstance(step, BackwardStep) and step.early_by for step in trace.steps):
        return list(patches)  # every backward pass in a right order: nothing to mark
    marked: set[Element] = set()
    result = []
    for k, patch in enumerate(patches):
        step = trace.steps[k - 1] if k else None
        if isinstance(step, BackwardStep) and step.early_by:
            marked.add(Element.box(step.node))
        result.append(
            {
                element: (
                    Look(look.classes + " bp-warn", look.texts)
                    if element in marked and "bp-warn" not in look.classes.split()
                    else look
                )
                for element, look in patch.items()
            }
        )
    return result


@dataclass(frozen=True)
class StepKey:
    """What a step is about, in terms that stay when subexpressions are collapsed or expanded
    or constants hidden: its phase, the node of the full graph it is about (its number, id + 1;
    0 at the start; a collapsed box is its root) and, in the order phase, what the search does
    there. The player finds the student's step in the next deck of the same function by it."""

    phase: str
    node: int = 0
    action: str = ""

    @property
    def name(self) -> str:
        return " ".join(str(part) for part in (self.phase, self.node, self.action) if part)


def step_key(graph: Graph, step: Step | TangentStep | None) -> StepKey:
    """The key of a step of a trace over `graph` (None: the start; a forward-mode pass's steps
    are its forward steps)."""
    if step is None:
        return StepKey("start")
    full_id = graph.original if isinstance(graph, CollapsedGraph) else range(len(graph.nodes))
    node = full_id[step.node] + 1
    if isinstance(step, OrderStep):
        action: str = step.action
        if action == "skip" and step.via is not None:  # skipped once per node it is read by
            action += f" from {full_id[step.via] + 1}"
        return StepKey("order", node, action)
    return StepKey("forward" if isinstance(step, TangentStep) else step.phase, node)


def deck_family(graph: Graph) -> str:
    """What two decks share when they show the same function, whichever of its subexpressions
    are collapsed: the full graph's boxes and edges."""
    full = graph.full if isinstance(graph, CollapsedGraph) else graph
    return digest([[(n.kind, n.symbol, list(n.args)) for n in full.nodes]])


@dataclass(frozen=True)
class Frame:
    """One step of a deck: its phase ("start" for frame 0), its explanation as HTML, and the
    patch that changes the picture from the step before; `key`: what it is about."""

    phase: str
    html: str
    patch: Patch
    key: StepKey | None = None


@dataclass(frozen=True)
class PhaseSpan:
    """The steps of one phase, numbered as shown (1-based)."""

    name: str
    title: str
    first: int
    last: int


def deck_json(
    *,
    title: str,
    graph: Graph,
    svg: str,
    frames: list[Frame],
    phases: list[PhaseSpan],
    chips: int,
    local: str,
    steps: int | None = None,
) -> dict:
    """A deck as the player reads it, for either mode: `svg` is the laid-out template,
    `chips` how many entries the order strip under the diagram has, `steps` how many frames
    the whole deck has when `frames` are only its first ones (see deck_data)."""
    spans = [asdict(phase) for phase in phases]
    steps = len(frames) if steps is None else steps
    return {
        "title": title,
        "shape": deck_shape(graph, steps, spans),
        "steps": steps,
        "family": deck_family(graph),
        "svg": svg,
        "css": diagram_css(),
        "chips": chips,
        "frames": [
            {"phase": frame.phase, "html": frame.html, "patch": patch_json(frame.patch)}
            | _key_json(frame.key, name)
            for frame, name in zip(frames, _key_names(frames), strict=True)
        ],
        "phases": spans,
        "local": local,
    }


def _key_names(frames: list[Frame]) -> list[str]:
    """Each frame's key as a name, a key met again numbered (x·x's search skips x twice)."""
    seen: dict[str, int] = {}
    names = []
    for frame in frames:
        name = frame.key.name if frame.key else ""
        seen[name] = seen.get(name, 0) + 1
        names.append(f"{name} #{seen[name]}" if seen[name] > 1 else name)
    return names


def _key_json(key: StepKey | None, name: str) -> dict:
    return {"key": name, "node": key.node} if key else {}


def deck_shape(graph: Graph, frames: int, phases: list[dict]) -> str:
    """What must stay equal for a student to stay on their step when the deck changes: the
    boxes, the edges, the number of steps and where each phase starts. Values, local
    derivatives and eps may differ."""
    return digest([[(n.kind, n.symbol, list(n.args)) for n in graph.nodes], frames, phases])


def digest(data: object) -> str:
    """A short fingerprint of JSON-like data: to tell decks and looks apart, not a secret."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


def deck_data(
    trace: Trace,
    *,
    title: str = "",
    check_eps: float = 1e-4,
    diagram: Diagram | None = None,
    box_notes: dict[int, str] | None = None,
    first_steps: int | None = None,
) -> dict:
    """Everything the player needs, as JSON-ready data. `box_notes` adds a line under boxes
    (node id → text), such as the name PyTorch gives each box.

    `first_steps`: only the first frames, for a large graph's diagram to be on screen sooner;
    the deck's `steps` still counts them all, and its shape is the whole deck's, so the whole
    deck then takes its place in the player at the student's step (ui/work.first_steps)."""
    diagram = diagram or build_diagram(trace, box_notes)
    frames = []
    patches = _mark_early(trace, diagram.patches)
    for k, patch in enumerate(patches[:first_steps]):
        step = trace.steps[k - 1] if k else None
        body = explanation_html(explain(trace, k))
        if k == len(trace):
            body += gradient_check_html(trace, check_eps)
        key = step_key(trace.graph, step)
        frames.append(Frame(step.phase if step else "start", body, patch, key))
    phases = []
    for phase in PHASES:
        steps = trace.phase_range(phase)
        if steps:
            phases.append(PhaseSpan(phase, PHASE_TITLES[phase], steps[0], steps[-1]))
    return deck_json(
        title=title or trace.graph.text,
        graph=trace.graph,
        svg=diagram.template,
        frames=frames,
        phases=phases,
        chips=len(trace.order),
        local=trace.local,
        steps=len(patches),
    )


@lru_cache(maxsize=1)
def player_sources() -> tuple[str, str]:
    """The player's JavaScript and stylesheet, shared by the app and the slide file."""
    return (
        (ASSETS / "player.js").read_text(encoding="utf-8"),
        (ASSETS / "player.css").read_text(encoding="utf-8"),
    )


def _script_json(data: object) -> str:
    # Inside <script>, "</" could end the element early and "<!--" change how the rest is
    # read; "<" only occurs inside JSON strings, where \u003c is the same character.
    return json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")


def standalone_html(
    deck: dict, *, theme: str = "light", present: bool = False, step: int = 0
) -> str:
    """One HTML file holding every step and the player: opens from disk, no network."""
    js, css = player_sources()
    options = {"theme": theme, "present": present, "step": step}
    title = html.escape(deck["title"])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backprop Lab · {title}</title>
<style>
html, body {{ margin: 0; height: 100%; }}
body {{ background: {"#14161a" if theme == "dark" else "#ffffff"}; }}
.bp-slide {{ box-sizing: border-box; width: 100vw; height: 100vh; padding: 1.5vh 1.5vw; }}
{css}
/* The slide fills the screen it is shown on: type sized from the screen (25 px at 1920×1080,
   31 px in presenter mode), and the diagram as wide as the screen allows. */
.bp-slide .bp-player {{ --bp-size: max(16px, min(1.3vw, 2.35vh)); }}
.bp-slide .bp-player.bp-present {{ --bp-size: max(24px, min(1.6vw, 2.9vh)); }}
.bp-slide .bp-stage svg {{ max-width: none !important; }}
/* As in presenter mode: the heading runs into its first line, and the last step's check sits
   in a second column beside its text, so a long step fits under the diagram. */
.bp-slide .bp-explain h3 {{ display: inline; margin-right: 0.6em; }}
.bp-slide .bp-explain h3 + p {{ display: inline; }}
.bp-slide .bp-explain p {{ margin: 3px 0; }}
.bp-slide .bp-explain:has(> .bp-check) {{ columns: 2; column-fill: auto; column-gap: 24px; }}
.bp-slide .bp-explain > .bp-check {{ break-before: column; margin: 0; }}
</style>
</head>
<body>
<header><h1 class="bp-sr">Backprop Lab: {title}</h1></header>
<main class="bp-slide" id="player"></main>
<script>{js}</script>
<script>
mountPlayer(document.getElementById("player"), {_script_json(deck)}, {_script_json(options)});
</script>
</body>
</html>
"""
