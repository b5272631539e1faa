"""Every step of a trace in words and arithmetic, as plain text and as LaTeX side by side.

An explanation is data: lines made of segments that are either words or math. A terminal prints
the text of each segment; the app renders the math segments' LaTeX as formulas. Nothing here is
computed again: every number comes from the trace.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .graph import Graph
from .ops import OPS
from .trace import BackwardStep, ForwardStep, OrderStep, PHASE_TITLES, Trace


@dataclass(frozen=True)
class Segment:
    text: str                 # plain text
    latex: str | None = None  # set for math; None for words


@dataclass(frozen=True)
class Explanation:
    title: str
    lines: tuple[tuple[Segment, ...], ...]
    warning: str | None = None

    def as_text(self) -> str:
        body = "\n".join("  " + "".join(s.text for s in line) for line in self.lines)
        return f"{self.title}\n{body}" + (f"\n  ⚠ {self.warning}" if self.warning else "")


def W(text: str) -> Segment:
    """Words."""
    return Segment(text)


def M(text: str, latex: str) -> Segment:
    """Math, as text and as LaTeX."""
    return Segment(text, latex)


def number_text(v: float, digits: int = 4) -> str:
    """Four significant digits, as the course prints them; nan and inf spelled out."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "−inf"
    text = f"{v:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def number_latex(v: float, wrap_negative: bool = False, digits: int = 4) -> str:
    if math.isnan(v):
        return r"\mathrm{nan}"
    if math.isinf(v):
        return r"\infty" if v > 0 else r"-\infty"
    text = f"{v:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = rf"{mantissa} \times 10^{{{int(exponent)}}}"
    # An argument (wrap_negative) in powers of ten is grouped too: as the base of a power it
    # would read 10^{12}^{2}, which is not LaTeX.
    return f"({text})" if wrap_negative and (v < 0 or "times" in text) else text


def _paren_text(v: float, digits: int = 4) -> str:
    return f"({number_text(v, digits)})" if v < 0 else number_text(v, digits)


def node_name(graph: Graph, node_id: int) -> tuple[str, str]:
    """How formulas name a node: x, 2, π for inputs; v₃ (text) / v_{3} (LaTeX) for operations."""
    node = graph.nodes[node_id]
    if node.kind == "operation":
        return f"v{_subscript(node_id + 1)}", f"v_{{{node_id + 1}}}"
    if node.kind == "constant":
        return node.symbol, (r"\pi" if node.symbol == "π" else node.symbol)
    symbol = node.symbol
    match = re.fullmatch(r"([^\d_]+)_?(\d*)", symbol)
    if match and match.group(2):
        return symbol, f"{_greek_latex(match.group(1))}_{{{match.group(2)}}}"
    return symbol, _greek_latex(symbol)


def _greek_latex(symbol: str) -> str:
    from .ops import GREEK
    for name, letter in GREEK.items():
        if symbol == letter:
            return "\\" + name
    return symbol


def _subscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _who(graph: Graph, node_id: int) -> str:
    """A node in words: 'log (v₄)', 'x'."""
    node = graph.nodes[node_id]
    name = node_name(graph, node_id)[0]
    return f"{node.symbol} ({name})" if node.kind == "operation" else name


def _substitute(formula: str, names: dict[str, str]) -> str:
    """Put argument names (a, b, z) into a formula, leaving LaTeX commands alone."""
    return re.sub(r"(?<![\\A-Za-z])([abz])(?![A-Za-z])",
                  lambda m: names.get(m.group(1), m.group(1)), formula)


def _arguments(trace: Trace, node_id: int, how: str) -> dict[str, str]:
    """The op's argument names mapped to the inputs' names (how='name') or values."""
    graph = trace.graph
    node = graph.nodes[node_id]
    names = OPS[node.label].argument_names
    result = {}
    for arg_name, a in zip(names, node.args):
        if how == "text":
            result[arg_name] = node_name(graph, a)[0]
        elif how == "latex":
            result[arg_name] = node_name(graph, a)[1]
        elif how == "value_text":
            result[arg_name] = _paren_text(trace.values[a])
        else:
            result[arg_name] = number_latex(trace.values[a], wrap_negative=True)
    return result


def explain(trace: Trace, k: int) -> Explanation:
    """Step k of the trace (1-based, as shown; 0 is the start) in words and arithmetic."""
    if k == 0:
        return _start(trace)
    step = trace.steps[k - 1]
    if isinstance(step, ForwardStep):
        return _forward(trace, step)
    if isinstance(step, OrderStep):
        return _order(trace, step, k)
    return _backward(trace, step)


def _start(trace: Trace) -> Explanation:
    graph = trace.graph
    given = [M(f"{node_name(graph, n.id)[0]} = {number_text(trace.values[n.id])}",
               f"{node_name(graph, n.id)[1]} = {number_latex(trace.values[n.id])}")
             for n in graph.nodes if n.kind == "variable"]
    lines: list[tuple[Segment, ...]] = []
    if given:
        inputs: list[Segment] = [W("The inputs are ")]
        for i, segment in enumerate(given):
            inputs += ([W(", ")] if i else []) + [segment]
        lines.append(tuple(inputs) + (W("."),))
    operations = sum(1 for n in graph.nodes if n.kind == "operation")
    lines.append((W(f"The forward pass computes the {operations} operation"
                    f"{'s' if operations != 1 else ''}, each once its inputs are known."),))
    return Explanation("Start", tuple(lines))


def _forward(trace: Trace, step: ForwardStep) -> Explanation:
    graph = trace.graph
    node = graph.nodes[step.node]
    op = OPS[node.label]
    name_text, name_latex = node_name(graph, step.node)
    by_name = _substitute(op.formula.latex, _arguments(trace, step.node, "latex"))
    by_value = _substitute(op.formula.latex, _arguments(trace, step.node, "value_latex"))
    by_name_text = _substitute(op.formula.text, _arguments(trace, step.node, "text"))
    by_value_text = _substitute(op.formula.text, _arguments(trace, step.node, "value_text"))
    if node.label == "sigmoid":  # its formula carries its definition; keep only σ(…)
        by_name, by_value = (s.split(" = ")[0] for s in (by_name, by_value))
        by_name_text, by_value_text = (s.split(" = ")[0] for s in (by_name_text, by_value_text))
    line = (M(f"{name_text} = {by_name_text} = {by_value_text} = {number_text(step.value)}",
              f"{name_latex} = {by_name} = {by_value} = {number_latex(step.value)}"),)
    return Explanation(f"{PHASE_TITLES['forward']}: {_who(graph, step.node)}", (line,),
                       step.warning)


def _search(trace: Trace, k: int) -> tuple[list[int], set[int], list[int]]:
    """The depth-first search after step k: its stack (bottom first), visited set and order.

    Only the search's own steps change these, so only they are replayed, not the whole state.
    """
    start = k
    while start > 0 and trace.steps[start - 1].phase == "order":
        start -= 1
    path: list[int] = []
    seen: set[int] = set()
    order: list[int] = []
    for step in trace.steps[start:k]:
        if step.action == "enter":
            path.append(step.node)
            seen.add(step.node)
        elif step.action == "finish":
            order.append(path.pop())
    return path, seen, order


def _search_line(trace: Trace, k: int) -> tuple[Segment, ...]:
    graph = trace.graph
    path, seen, _ = _search(trace, k)
    stack = ", ".join(node_name(graph, n)[0] for n in path) or "empty"
    # Named one by one while a student can take them in; a large graph gets a count.
    visited = ", ".join(node_name(graph, n)[0] for n in sorted(seen)) if len(seen) <= 12 \
        else f"{len(seen)} nodes"
    return (W(f"Stack: {stack}. Visited: {visited}."),)


def _order(trace: Trace, step: OrderStep, k: int) -> Explanation:
    explanation = _order_moves(trace, step, k)
    return Explanation(explanation.title, explanation.lines + (_search_line(trace, k),),
                       explanation.warning)


def _order_moves(trace: Trace, step: OrderStep, k: int) -> Explanation:
    graph = trace.graph
    node = graph.nodes[step.node]
    who = _who(graph, step.node)
    title = f"{PHASE_TITLES['order']}: {who}"
    if step.action == "enter":
        came = f", reached from {_who(graph, step.via)}" if step.via is not None else \
            ", the output: the search starts here"
        if node.args:
            inputs = ", ".join(dict.fromkeys(_who(graph, a) for a in node.args))
            line = W(f"Visit {who}{came}. Before it can be placed, its inputs must be: "
                     f"{inputs}.")
        else:
            line = W(f"Visit {who}{came}. It has no inputs.")
        return Explanation(title, ((line,),))
    if step.action == "skip":
        users = sorted({u for u, _ in graph.consumers()[step.node]})
        fan = ", ".join(_who(graph, u) for u in users)
        return Explanation(title, ((W(f"{who} was visited already: it fans out to {fan}. "
                                      "Nothing to do."),),))
    order = ", ".join(node_name(graph, n)[0] for n in _search(trace, k)[2])
    return Explanation(title, (
        (W(f"Every input of {who} is placed, so {who} goes at position "
           f"{step.position + 1} of the order."),),
        (W(f"Order so far: {order}."),),
    ))


def _backward(trace: Trace, step: BackwardStep) -> Explanation:
    graph = trace.graph
    node = graph.nodes[step.node]
    name_text, name_latex = node_name(graph, step.node)
    who = _who(graph, step.node)
    out_text, out_latex = node_name(graph, graph.output)
    lines: list[tuple[Segment, ...]] = []
    d_out = number_text(step.d_out)
    if not step.received:
        lines.append((W(f"Start at the output {who} with "),
                      M(f"d_out = d{out_text}/d{out_text} = 1",
                        rf"d_{{\mathrm{{out}}}} = \frac{{\partial {out_latex}}}{{\partial {out_latex}}}"
                        " = 1"), W(".")))
    elif len(step.received) == 1:
        r = step.received[0]
        lines.append((W(f"{who} received "), M(f"d_out = {d_out}",
                                                rf"d_{{\mathrm{{out}}}} = {number_latex(step.d_out)}"),
                      W(f" from {_who(graph, r.sender)}.")))
    else:
        parts = " and ".join(f"{number_text(r.amount)} from {_who(graph, r.sender)}"
                             for r in step.received)
        total_text = " + ".join(_paren_text(r.amount) for r in step.received)
        total_latex = " + ".join(number_latex(r.amount, True) for r in step.received)
        lines.append((W(f"{who} fans out, so the contributions add up: it received {parts}."),))
        lines.append((M(f"d_out = {total_text} = {d_out}",
                        rf"d_{{\mathrm{{out}}}} = {total_latex} = {number_latex(step.d_out)}"),))
    if node.kind == "variable":
        lines.append((W("This is the gradient: "),
                      M(f"∂{out_text}/∂{name_text} = {d_out}",
                        rf"\frac{{\partial {out_latex}}}{{\partial {name_latex}}} = "
                        f"{number_latex(step.d_out)}"), W(".")))
    op = OPS[node.label] if node.kind == "operation" else None
    for send in step.sends:
        to_text, to_latex = node_name(graph, send.to)
        formula = op.derivative_formulas[send.position]
        local_text = _substitute(formula.text, _arguments(trace, step.node, "text"))
        local_latex = _substitute(formula.latex, _arguments(trace, step.node, "latex"))
        if send.numerical is None:
            value_text = _substitute(formula.text, _arguments(trace, step.node, "value_text"))
            value_latex = _substitute(formula.latex,
                                      _arguments(trace, step.node, "value_latex"))
            how = (M(f"d_out · {local_text} = {d_out} · {value_text} = "
                     f"{number_text(send.contribution)}",
                     rf"d_{{\mathrm{{out}}}} \cdot {local_latex} = {number_latex(step.d_out)} \cdot "
                     rf"{_group(value_latex)} = {number_latex(send.contribution)}"),)
        else:
            # f(z ± eps) differ only in the later digits: show enough of them to see it.
            f_plus, f_minus = send.numerical
            eps_text, eps_latex = number_text(trace.eps), number_latex(trace.eps)
            how = (M(f"d_out · ({number_text(f_plus, 9)} − {_paren_text(f_minus, 9)}) / "
                     f"(2·{eps_text}) = {d_out} · {number_text(send.local)} = "
                     f"{number_text(send.contribution)}",
                     rf"d_{{\mathrm{{out}}}} \cdot \frac{{{number_latex(f_plus, digits=9)} - "
                     rf"{number_latex(f_minus, True, 9)}}}{{2 \cdot {eps_latex}}} = "
                     rf"{number_latex(step.d_out)} \cdot {number_latex(send.local, True)} = "
                     rf"{number_latex(send.contribution)}"),
                   W(f" (central difference of {node.symbol} in {to_text}, eps = {eps_text}; "
                     f"symbolically {local_text})"))
        lines.append((W(f"To {to_text}: "),) + how)
        if send.late:
            lines.append((W(f"{to_text} has fired already: this arrives too late and is never "
                            "passed on."),))
    if step.sends and node.kind == "operation":
        # The mode can differ from box to box; a numerical send carries its f(z ± eps).
        numerical = step.sends[0].numerical is not None
        mode = "by central difference" if numerical else "symbolic"
        lines.append((W(f"Local derivatives: {mode}."),))
    warning = step.warning
    if step.early_by:
        waiting = ", ".join(_who(graph, u) for u in step.early_by)
        early = f"{who} fired too early: {waiting} had not sent its d_out yet. " + (
            "Its gradient here is not complete." if node.kind == "variable" else
            "What arrives later is never passed on, so the gradient below it comes out wrong.")
        warning = f"{warning}; {early}" if warning else early
    return Explanation(f"{PHASE_TITLES['backward']}: {who}", tuple(lines), warning)


def _group(latex: str) -> str:
    """Parenthesise a substituted formula when it is more than one number."""
    return latex if re.fullmatch(r"\(?-?[\d.]+( \\times 10\^\{-?\d+\})?\)?", latex) \
        else rf"\left({latex}\right)"
