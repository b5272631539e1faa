"""Every step of a trace in words and arithmetic, as plain text and as LaTeX side by side.

An explanation is data: lines made of segments that are either words or math. A terminal prints
the text of each segment; the app renders the math segments' LaTeX as formulas. Nothing here is
computed again: every number comes from the trace.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .format import number_latex, number_text, paren_text, subscript, times_text
from .graph import Graph
from .ops import FUNCTIONS, GREEK, OPS, Formula
from .trace import PHASE_TITLES, BackwardStep, ForwardStep, OrderStep, State, Trace

__all__ = [
    "Segment",
    "Line",
    "Kind",
    "Explanation",
    "W",
    "M",
    "explain",
    "node_name",
    "who",
    "substitute",
    "arguments",
    "group",
    "needs_parentheses",
    "forms",
    "number_text",
    "number_latex",
    "paren_text",
]


@dataclass(frozen=True)
class Segment:
    text: str  # plain text
    latex: str | None = None  # set for math; None for words


class Kind(Enum):
    """What a line of an explanation says, so a reader can pick lines without their wording."""

    TEXT = "text"  # anything else: the start, the order, a definition
    COMPUTE = "compute"  # a forward step's arithmetic
    RECEIVED = "received"  # the d_out a node received, from one user or summed
    SHARE = "share"  # a variable's leaf in the tree: its d_out is a share only
    GRADIENT = "gradient"  # a variable's gradient, stated as the gradient
    NO_GRADIENT = "no-gradient"  # a variable's d_out that is not a gradient (nan, inf)
    SEND = "send"  # what a node sends to one input: d_out · local derivative
    LATE = "late"  # a send that arrives after its receiver fired
    KINK = "kink"  # the operation is not differentiable here: the convention used
    UNDEFINED = "undefined"  # the operation has no value here, so no derivative
    MODE = "mode"  # how the local derivatives were taken


@dataclass(frozen=True)
class Line:
    """One line of an explanation: its segments and what kind of statement it is. Iterates
    and indexes as its segments."""

    segments: tuple[Segment, ...]
    kind: Kind = Kind.TEXT

    def __iter__(self) -> Iterator[Segment]:
        return iter(self.segments)

    def __getitem__(self, index: Any) -> Any:
        return self.segments[index]

    def __len__(self) -> int:
        return len(self.segments)

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


@dataclass(frozen=True)
class Explanation:
    title: str
    lines: tuple[Line, ...]
    warning: str | None = None

    def __post_init__(self) -> None:
        # Lines given as plain tuples of segments are lines of kind TEXT.
        if any(not isinstance(line, Line) for line in self.lines):
            object.__setattr__(
                self,
                "lines",
                tuple(line if isinstance(line, Line) else Line(tuple(line)) for line in self.lines),
            )

    def as_text(self) -> str:
        body = "\n".join("  " + line.text for line in self.lines)
        return f"{self.title}\n{body}" + (f"\n  ⚠ {self.warning}" if self.warning else "")

    def of_kind(self, *kinds: Kind) -> list[Line]:
        return [line for line in self.lines if line.kind in kinds]


def lines_of(*lines: Sequence[Segment]) -> tuple[Line, ...]:
    """Lines of kind TEXT from plain sequences of segments."""
    return tuple(Line(tuple(line)) for line in lines)


def L(*segments: Segment, kind: Kind = Kind.TEXT) -> Line:
    """A line of segments."""
    return Line(tuple(segments), kind)


def W(text: str) -> Segment:
    """Words."""
    return Segment(text)


def M(text: str, latex: str) -> Segment:
    """Math, as text and as LaTeX."""
    return Segment(text, latex)


# Compiled once: the explanations of a large graph's steps use them tens of thousands of times.
_INDEXED = re.compile(r"([^\d_]+)_?(\d*)")  # a variable's letters and index: x_1, x1, w
_CLOSES_OR_SIGN = re.compile(r"[)}]|\s?[−+-]")
_PARENTHESISED = re.compile(r"\([^()]*\)")
_ARGUMENT = re.compile(r"(?<![\\A-Za-z])([abz])(?![A-Za-z])")
_INNERMOST = re.compile(r"\{[^{}]*\}|\([^()]*\)")
_TOP_SIGN = re.compile(r"[-+−]| if ")


def node_name(graph: Graph, node_id: int) -> tuple[str, str]:
    """How formulas name a node: x, 2, π for inputs; v₃ (text) / v_{3} (LaTeX) for operations."""
    node = graph.nodes[node_id]
    if node.kind == "operation":
        number = graph.numbers[node_id]
        return f"v{subscript(number)}", f"v_{{{number}}}"
    if node.kind == "constant":
        return node.symbol, (r"\pi" if node.symbol == "π" else node.symbol)
    symbol = node.symbol
    match = _INDEXED.fullmatch(symbol)
    if match and match.group(2):
        return symbol, f"{_greek_latex(match.group(1))}_{{{match.group(2)}}}"
    return symbol, _greek_latex(symbol)


def _greek_latex(symbol: str) -> str:
    name = _GREEK_NAMES.get(symbol)
    return symbol if name is None else "\\" + name


# A Greek letter's LaTeX name; the first name where two names give one letter, as GREEK lists them.
_GREEK_NAMES = {letter: name for name, letter in reversed(GREEK.items())}


def who(graph: Graph, node_id: int) -> str:
    """A node in words: 'log (v₄)', 'x'."""
    node = graph.nodes[node_id]
    name = node_name(graph, node_id)[0]
    return f"{node.symbol} ({name})" if node.kind == "operation" else name


def substitute(formula: str, names: dict[str, str]) -> str:
    """Put argument names (a, b, z) into a formula, leaving LaTeX commands alone. A value
    already in parentheses, (−1), loses them where the formula has its own and the value
    comes first in them: log(−1), not log((−1)); 1^(−2 − 1), not 1^((−2) − 1)."""

    def put(m: re.Match[str]) -> str:
        value = names.get(m.group(1), m.group(1))
        opens = formula[m.start() - 1 : m.start()] in ("(", "{")
        after = formula[m.end() :]
        first = _CLOSES_OR_SIGN.match(after) is not None
        if opens and first and _PARENTHESISED.fullmatch(value):
            value = value[1:-1]
        return value

    return _ARGUMENT.sub(put, formula)


def arguments(trace: Any, node_id: int, how: str) -> dict[str, str]:
    """The op's argument names mapped to the inputs' names (how='text' or 'latex') or values
    ('value_text' or 'value_latex'). `trace` is anything with `graph` and `values`."""
    graph = trace.graph
    node = graph.nodes[node_id]
    names = OPS[node.label].argument_names
    result = {}
    for arg_name, a in zip(names, node.args, strict=True):
        if how == "text":
            result[arg_name] = node_name(graph, a)[0]
        elif how == "latex":
            result[arg_name] = node_name(graph, a)[1]
        elif how == "value_text":
            result[arg_name] = paren_text(trace.values[a])
        else:
            result[arg_name] = number_latex(trace.values[a], wrap_negative=True)
    return result


def forms(graph: Graph, node_id: int) -> tuple[Formula, tuple[Formula, ...]]:
    """The operation's formula and local-derivative formulas with its constant arguments
    written in, as the course writes them (a square: x² and 2·x)."""
    node = graph.nodes[node_id]
    constants = tuple(
        graph.nodes[a].value if graph.nodes[a].kind == "constant" else None for a in node.args
    )
    return OPS[node.label].forms(constants)


def formula_math(trace: Any, node_id: int, formula: Formula) -> tuple[str, str, str, str]:
    """A formula with the inputs' names, and with their values: text, LaTeX, text, LaTeX."""
    return (
        substitute(formula.text, arguments(trace, node_id, "text")),
        substitute(formula.latex, arguments(trace, node_id, "latex")),
        substitute(formula.text, arguments(trace, node_id, "value_text")),
        substitute(formula.latex, arguments(trace, node_id, "value_latex")),
    )


def group(latex: str) -> str:
    """Parenthesise a substituted formula where it is a factor that needs it: a sum or
    difference, or something that starts with a minus (2 \\cdot \\left(-1\\right), never
    2 \\cdot -1). A product, a number or a call stays as it is: 1 \\cdot 2 \\cdot 3."""
    return rf"\left({latex}\right)" if needs_parentheses(latex) else latex


def needs_parentheses(formula: str) -> bool:
    """True where a formula (text or LaTeX) is a sum or difference at its top level, starts
    with a minus or reads in words (1 if z > 0, else 0): as a factor it needs parentheses."""
    if formula.lstrip("{").startswith(("-", "−")):  # {-1}: a braced minus is still a minus
        return True
    top = formula
    while True:  # drop what is inside groups, innermost first: what is left is the top level
        inner = _INNERMOST.sub("", top)
        if inner == top:
            break
        top = inner
    top = top.strip()
    return top[:1] in ("-", "−") or _TOP_SIGN.search(top[1:]) is not None


# The names these had before they were public.
_who, _substitute, _arguments, _group = who, substitute, arguments, group


def explain(trace: Trace, k: int) -> Explanation:
    """Step k of the trace (1-based, as shown; 0 is the start) in words and arithmetic."""
    if k == 0:
        return _start(trace)
    from .collapse import explain_box  # a collapsed box's steps are told by its module

    box = explain_box(trace, k)
    if box is not None:
        return box
    step = trace.steps[k - 1]
    if isinstance(step, ForwardStep):
        return _forward(trace, step)
    if isinstance(step, OrderStep):
        return _order(trace, step, k)
    return _backward(trace, step)


def _start(trace: Trace) -> Explanation:
    graph = trace.graph
    given = [
        M(
            f"{node_name(graph, n.id)[0]} = {number_text(trace.values[n.id])}",
            f"{node_name(graph, n.id)[1]} = {number_latex(trace.values[n.id])}",
        )
        for n in graph.nodes
        if n.kind == "variable"
    ]
    lines: list[Line] = []
    if given:
        inputs: list[Segment] = [W("The inputs are ")]
        for i, segment in enumerate(given):
            inputs += ([W(", ")] if i else []) + [segment]
        lines.append(L(*inputs, W(".")))
    operations = sum(1 for n in graph.nodes if n.kind == "operation")
    if operations == 0:
        output = graph.nodes[graph.output]
        what = "its input" if output.kind == "variable" else "the constant"
        lines.append(
            L(
                W(
                    f"There is no operation to compute: the function is {what} "
                    f"{who(graph, graph.output)} itself."
                )
            )
        )
    elif operations == 1:
        lines.append(L(W("The forward pass computes the one operation once its inputs are known.")))
    else:
        lines.append(
            L(
                W(
                    f"The forward pass computes the {operations} operations, each once "
                    "its inputs are known."
                )
            )
        )
    return Explanation("Start", tuple(lines))


def _forward(trace: Trace, step: ForwardStep) -> Explanation:
    graph = trace.graph
    node = graph.nodes[step.node]
    op = OPS[node.label]
    name_text, name_latex = node_name(graph, step.node)
    by_name_text, by_name, by_value_text, by_value = formula_math(
        trace, step.node, forms(graph, step.node)[0]
    )
    lines = [
        L(
            M(
                f"{name_text} = {by_name_text} = {by_value_text} = {number_text(step.value)}",
                f"{name_latex} = {by_name} = {by_value} = {number_latex(step.value)}",
            ),
            kind=Kind.COMPUTE,
        )
    ]
    if op.definition is not None:
        z_text, z_latex = op.formula.text, op.formula.latex
        # σ is sigmoid: the name of the formula's head, unless it is the name itself.
        head = z_text.split("(")[0]
        lines.append(
            L(
                W(f"{head} is {op.name}: " if head != op.name else f"{op.name} is defined as "),
                M(f"{z_text} = {op.definition.text}", f"{z_latex} = {op.definition.latex}"),
                W("."),
            )
        )
    return Explanation(
        f"{PHASE_TITLES['forward']}: {who(graph, step.node)}", tuple(lines), step.warning
    )


def _search(trace: Trace, k: int) -> State:
    """The state of the depth-first search after step k, to read, not to change: the same
    object is carried on to the next step.

    Only the search's own steps change it, so only they are replayed (with `State.apply`,
    the one place a step's effect is written), not the whole state.
    """
    # A deck explains steps 0, 1, 2, ... in turn: the search's state after the previous call
    # is carried on, so explaining the whole search is linear, not quadratic, in its length.
    last = getattr(_searches, "last", None)
    if last is not None and last[0] is trace and last[1] <= k:
        _, done, state = last
        steps = trace.steps[done:k]
        if any(step.phase != "order" for step in steps):
            last = None
    if last is None or last[0] is not trace or last[1] > k:
        start = k
        while start > 0 and trace.steps[start - 1].phase == "order":
            start -= 1
        state = trace.initial_state()
        steps = trace.steps[start:k]
    for step in steps:
        state.apply(step)
    _searches.last = (trace, k, state)
    return state


def search_state(trace: Trace, k: int) -> tuple[list[int], set[int], list[int]]:
    """The depth-first search after step k: its stack (bottom first), visited set and order."""
    state = _search(trace, k)
    return list(state.stack), set(state.visited), list(state.order)


_searches = threading.local()  # per thread: (trace, k, the search's state after step k)


def _names(graph: Graph, nodes: Sequence[int], end: str) -> str:
    """Nodes named in order while a student can take them in; a long list (a large graph's
    stack or order, hundreds of names) is its count and the names at its end."""
    if len(nodes) <= 12:
        return ", ".join(node_name(graph, n)[0] for n in nodes)
    tail = ", ".join(node_name(graph, n)[0] for n in nodes[-6:])
    return f"{len(nodes)} nodes, the {end} six: {tail}"


def _search_line(trace: Trace, k: int) -> Line:
    graph = trace.graph
    search = _search(trace, k)
    path, seen = search.stack, search.visited
    stack = _names(graph, path, "top") or "empty"
    # Named one by one while a student can take them in; a large graph gets a count.
    visited = (
        ", ".join(node_name(graph, n)[0] for n in sorted(seen))
        if len(seen) <= 12
        else f"{len(seen)} nodes"
    )
    return L(W(f"Stack: {stack}. Visited: {visited}."))


def _order(trace: Trace, step: OrderStep, k: int) -> Explanation:
    explanation = _order_moves(trace, step, k)
    return Explanation(
        explanation.title, explanation.lines + (_search_line(trace, k),), explanation.warning
    )


def _order_moves(trace: Trace, step: OrderStep, k: int) -> Explanation:
    graph = trace.graph
    node = graph.nodes[step.node]
    name = who(graph, step.node)
    title = f"{PHASE_TITLES['order']}: {name}"
    if step.action == "enter":
        came = (
            f", reached from {who(graph, step.via)}"
            if step.via is not None
            else ", the output: the search starts here"
        )
        if node.inputs:
            inputs = ", ".join(dict.fromkeys(who(graph, a) for a in node.inputs))
            line = W(f"Visit {name}{came}. Before it can be placed, its inputs must be: {inputs}.")
        else:
            line = W(f"Visit {name}{came}. It has no inputs.")
        return Explanation(title, (L(line),))
    if step.action == "skip":
        users = sorted({u for u, _ in graph.users_of(step.node)})
        fan = ", ".join(who(graph, u) for u in users[:12])
        if len(users) > 12:  # hundreds of names, once per skip: a count and the first few
            fan = f"{len(users)} operations: {', '.join(who(graph, u) for u in users[:6])}, …"
        return Explanation(
            title, (L(W(f"{name} was visited already: it fans out to {fan}. Nothing to do.")),)
        )
    placed = _search(trace, k).order
    order = _names(graph, placed, "last")
    position = step.position if step.position is not None else len(placed) - 1
    return Explanation(
        title,
        (
            L(
                W(
                    f"Every input of {name} is placed, so {name} goes at position "
                    f"{position + 1} of the order."
                )
            ),
            L(W(f"Order so far: {order}.")),
        ),
    )


def _gradient_symbol(trace: Trace, name_text: str, name_latex: str) -> tuple[str, str]:
    out_text, out_latex = node_name(trace.graph, trace.graph.output)
    return (f"∂{out_text}/∂{name_text}", rf"\frac{{\partial {out_latex}}}{{\partial {name_latex}}}")


def _origin_notes(trace: Trace, step: BackwardStep) -> list[str]:
    """The reasons recorded where a non-finite d_out arose, most telling first."""
    if step.origin is None:
        return []
    graph = trace.graph
    node = step.origin
    return (
        [n.text for n in trace.notes if n.node == node and n.kind != "kink"]
        + [n.text for n in trace.notes if n.node == node]
        + [text for n, text in trace.warnings if n == node]
        + [text for n, text in trace.warnings if n in graph.nodes[node].args]
    )


def _overflowed(trace: Trace, step: BackwardStep) -> bool:
    return step.origin is not None and any(
        n.node == step.origin and n.kind == "overflow" for n in trace.notes
    )


def _cause(trace: Trace, step: BackwardStep) -> str:
    """Why a d_out is not finite: the first reason found where it arose."""
    if step.origin is None:
        return ""
    reasons = _origin_notes(trace, step)
    return f"; it arose at {who(trace.graph, step.origin)}" + (f": {reasons[0]}" if reasons else "")


def _not_a_gradient(trace: Trace, step: BackwardStep, name: str, value: float) -> str:
    """Why a variable's non-finite d_out is not its gradient, in words."""
    if _overflowed(trace, step):
        return (
            f"{number_text(value)}, which is not the gradient: a number on the way went "
            f"beyond the largest float, so the gradient with respect to {name} cannot be "
            f"computed this way{_cause(trace, step)}."
        )
    return (
        f"{number_text(value)}, which is not a gradient: there is no gradient with "
        f"respect to {name} here{_cause(trace, step)}."
    )


def _variable_lines(trace: Trace, step: BackwardStep) -> list[Line]:
    graph = trace.graph
    name_text, name_latex = node_name(graph, step.node)
    grad_text, grad_latex = _gradient_symbol(trace, name_text, name_latex)
    copies = step.copies
    if copies is not None and not copies.last:
        return [
            L(
                W(
                    f"{name_text} is used {times_text(copies.count)}, so the tree draws it as "
                    f"{copies.count} leaves. This leaf's d_out, {number_text(step.d_out)}, is "
                    f"a share of the gradient, not the gradient: the gradient is the sum over "
                    f"the leaves, added up when the last one is reached."
                ),
                kind=Kind.SHARE,
            )
        ]
    total = copies.total if copies is not None and copies.total is not None else step.d_out
    kinks = [n for n in trace.notes if n.kind == "kink"]
    by_convention = (
        " (by convention, at a point that has no derivative: see "
        + ", ".join(dict.fromkeys(who(graph, n.node) for n in kinks))
        + ")"
        if kinks
        else ""
    )
    if copies is not None:
        shares = sorted(copies.shares)  # in node order, as they are added
        sum_text = " + ".join(paren_text(d) for _, d in shares)
        sum_latex = " + ".join(number_latex(d, True) for _, d in shares)
        intro = f"{name_text} is used {times_text(copies.count)}: the leaves' shares add up to "
        if not math.isfinite(total):
            return [
                L(W(intro + _not_a_gradient(trace, step, name_text, total)), kind=Kind.NO_GRADIENT)
            ]
        return [
            L(
                W(intro + "the gradient" + by_convention + ": "),
                M(
                    f"{grad_text} = {sum_text} = {number_text(total)}",
                    f"{grad_latex} = {sum_latex} = {number_latex(total)}",
                ),
                W("."),
                kind=Kind.GRADIENT,
            )
        ]
    if not math.isfinite(total):
        return [
            L(
                W("d_out is " + _not_a_gradient(trace, step, name_text, total)),
                kind=Kind.NO_GRADIENT,
            )
        ]
    return [
        L(
            W("This is the gradient" + by_convention + ": "),
            M(f"{grad_text} = {number_text(total)}", f"{grad_latex} = {number_latex(total)}"),
            W("."),
            kind=Kind.GRADIENT,
        )
    ]


def _received_lines(trace: Trace, step: BackwardStep) -> list[Line]:
    graph = trace.graph
    name = who(graph, step.node)
    out_text, out_latex = node_name(graph, graph.output)
    d_out = number_text(step.d_out)
    if not step.received and not math.isfinite(step.d_out):
        return [
            L(
                W(
                    f"Start at the output {name}: its value is "
                    f"{number_text(trace.values[step.node])}, "
                    "not a number the function can take, so there is no derivative to start with: "
                ),
                M(
                    f"d_out = {number_text(step.d_out)}",
                    rf"d_{{\mathrm{{out}}}} = {number_latex(step.d_out)}",
                ),
                W("."),
                kind=Kind.RECEIVED,
            )
        ]
    if not step.received:
        return [
            L(
                W(f"Start at the output {name} with "),
                M(
                    f"d_out = ∂{out_text}/∂{out_text} = 1",
                    rf"d_{{\mathrm{{out}}}} = \frac{{\partial {out_latex}}}"
                    rf"{{\partial {out_latex}}} = 1",
                ),
                W("."),
                kind=Kind.RECEIVED,
            )
        ]
    if len(step.received) == 1:
        r = step.received[0]
        return [
            L(
                W(f"{name} received "),
                M(f"d_out = {d_out}", rf"d_{{\mathrm{{out}}}} = {number_latex(step.d_out)}"),
                W(f" from {who(graph, r.sender)}."),
                kind=Kind.RECEIVED,
            )
        ]
    parts = " and ".join(
        f"{number_text(r.amount)} from {who(graph, r.sender)}" for r in step.received
    )
    total_text = " + ".join(paren_text(r.amount) for r in step.received)
    total_latex = " + ".join(number_latex(r.amount, True) for r in step.received)
    return [
        L(
            W(f"{name} fans out, so the contributions add up: it received {parts}."),
            kind=Kind.RECEIVED,
        ),
        L(
            M(
                f"d_out = {total_text} = {d_out}",
                rf"d_{{\mathrm{{out}}}} = {total_latex} = {number_latex(step.d_out)}",
            ),
            kind=Kind.RECEIVED,
        ),
    ]


def _send_lines(trace: Trace, step: BackwardStep) -> list[Line]:
    graph = trace.graph
    node = graph.nodes[step.node]
    lines: list[Line] = []
    if node.kind != "operation":
        return lines
    d_out = number_text(step.d_out)
    derivative_formulas = forms(graph, step.node)[1]
    for send in step.sends:
        to_text, to_latex = node_name(graph, send.to)
        formula = derivative_formulas[send.position]
        op = OPS[node.label]
        piece = (
            op.piece(*(float(trace.values[a]) for a in node.args))
            if op.piece and send.numerical is None
            else None
        )
        condition = ""
        if piece:
            formula, where = piece[send.position]
            condition = f" ({substitute(where, arguments(trace, step.node, 'text'))})"
        local_text, local_latex, value_text, value_latex = formula_math(trace, step.node, formula)
        how: tuple[Segment, ...]
        if send.undefined:
            how = (
                M("nan", r"\mathrm{nan}"),
                W(
                    f": {node_name(graph, step.node)[0]} has no finite value, so there is no "
                    "derivative to send"
                ),
            )
        elif send.numerical is None:
            # A factor that is a sum or starts with a minus goes in parentheses: d_out · (−1).
            if needs_parentheses(formula.text):
                local_text, value_text = f"({local_text})", f"({value_text})"
            local_latex = group(local_latex)
            how = (
                M(
                    f"d_out · {local_text} = {d_out} · {value_text} = "
                    f"{number_text(send.contribution)}",
                    rf"d_{{\mathrm{{out}}}} \cdot {local_latex} = "
                    rf"{number_latex(step.d_out)} \cdot {group(value_latex)} = "
                    f"{number_latex(send.contribution)}",
                ),
                *((W(condition),) if condition else ()),
            )
        else:
            # f(z ± eps) differ only in the later digits: show enough of them to see it.
            f_plus, f_minus = send.numerical
            eps_text, eps_latex = number_text(trace.eps), number_latex(trace.eps)
            how = (
                M(
                    f"d_out · ({number_text(f_plus, 9)} − {paren_text(f_minus, 9)}) / "
                    f"(2·{eps_text}) = {d_out} · {paren_text(send.local)} = "
                    f"{number_text(send.contribution)}",
                    rf"d_{{\mathrm{{out}}}} \cdot \frac{{{number_latex(f_plus, digits=9)} - "
                    rf"{number_latex(f_minus, True, 9)}}}{{2 \cdot {eps_latex}}} = "
                    rf"{number_latex(step.d_out)} \cdot {number_latex(send.local, True)} = "
                    rf"{number_latex(send.contribution)}",
                ),
                W(
                    f" (central difference of {node.symbol} in {to_text}, eps = {eps_text}; "
                    f"symbolically {local_text})"
                ),
            )
        lines.append(L(W(f"To {to_text}: "), *how, kind=Kind.SEND))
        if send.late:
            lines.append(
                L(
                    W(
                        f"{to_text} has fired already: this arrives too late and is "
                        "never passed on."
                    ),
                    kind=Kind.LATE,
                )
            )
    return lines


def _kink_sentence(trace: Trace, node_id: int, text: str) -> str:
    """A kink's note as a sentence about this node: a one-argument operation's z is its input
    (relu is not differentiable at x = 0), and an operation's name keeps its case."""
    if OPS[trace.graph.nodes[node_id].label].arity == 1:
        input_name = arguments(trace, node_id, "text")["z"]
        text = re.sub(r"(?<![\\A-Za-z])z(?![A-Za-z])", input_name, text)
    starts_with_name = text.split(" ")[0] in OPS or text.split(" ")[0] in FUNCTIONS
    return (text if starts_with_name else text[0].upper() + text[1:]) + "."


def _backward(trace: Trace, step: BackwardStep) -> Explanation:
    graph = trace.graph
    node = graph.nodes[step.node]
    name = who(graph, step.node)
    lines = _received_lines(trace, step)
    if node.kind == "variable":
        lines += _variable_lines(trace, step)
    elif step.sends and not math.isfinite(step.d_out) and step.origin is not None:
        lines.append(
            L(
                W(
                    f"d_out is {number_text(step.d_out)}, not a derivative"
                    f"{_cause(trace, step)}. What it sends is not finite either."
                ),
                kind=Kind.NO_GRADIENT,
            )
        )
    if step.sends and any(send.undefined for send in step.sends):
        op = OPS[node.label]
        value = trace.values[step.node]
        why = op.domain_at(*(trace.values[a] for a in node.args))
        reason = f": {why}" if why else ""
        lines.append(
            L(
                W(
                    f"{name} has no finite value here ({number_text(value)}){reason}. "
                    "Where a function has no value it has no derivative, so there is no "
                    "gradient through it."
                ),
                kind=Kind.UNDEFINED,
            )
        )
    for note in step.notes:
        if note.kind == "kink":
            lines.append(L(W(_kink_sentence(trace, step.node, note.text)), kind=Kind.KINK))
    lines += _send_lines(trace, step)
    if step.sends and node.kind == "operation" and not all(s.undefined for s in step.sends):
        # The mode can differ from box to box; a numerical send carries its f(z ± eps).
        numerical = any(s.numerical is not None for s in step.sends)
        mode = "by central difference" if numerical else "symbolic"
        lines.append(L(W(f"Local derivatives: {mode}."), kind=Kind.MODE))
    warning = step.warning
    if step.early_by:
        waiting = ", ".join(who(graph, u) for u in step.early_by)
        early = f"{name} fired too early: {waiting} had not sent its d_out yet. " + (
            "Its gradient here is not complete."
            if node.kind == "variable"
            else "What arrives later is never passed on, so the gradient below it comes out wrong."
        )
        warning = f"{warning}; {early}" if warning else early
    return Explanation(f"{PHASE_TITLES['backward']}: {name}", tuple(lines), warning)
