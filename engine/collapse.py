"""Collapsing a subexpression into one box: a neuron `sigmoid(w1*x1 + w2*x2 + b)` drawn and
stepped as one operation, whose inputs are the subexpression's inputs.

A collapsed box is an operation like any other: its forward runs the subexpression's own graph
(its inside) forward, and its local derivatives, one per input position as for every
operation, come from a backward pass through the inside. So a trace over a graph with some
boxes collapsed has one forward and one backward step per box, and gives every input the same
gradient as the graph with every box expanded.

A subexpression is named by its root's node number in the full graph (node id + 1: a link's
number, which stays when the names students read skip an undrawn constant, see
`Graph.numbers`), so a link can hold a list of them. Its inside is
the part of the graph only the root uses: every operation and constant below the root whose
every user is inside too. A value the rest of the graph also reads (xy in log(xy) + exp(xy))
stays outside and becomes an input of the box, and variables are always inputs, so their
gradients are seen. Every loop here is iterative.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .format import number_latex, number_text, paren_text
from .graph import Graph, Node
from .ops import Formula, Number, Op
from .parser import written

if TYPE_CHECKING:
    from .explain import Explanation
    from .trace import BackwardStep, ForwardStep, Trace

#: The longest text a box shows; a longer subexpression is shortened, its explanation says it
#: in full.
SYMBOL_LENGTH = 36
#: The longest text of a subexpression as offered to collapse (its box's explanation says it
#: in full).
TEXT_LENGTH = 100


@dataclass(frozen=True)
class Subexpression:
    """A part of the graph that can be collapsed into one box."""

    node: int  # its root's node id in the full graph; links name it as node + 1
    text: str  # as read: sigmoid(((w1·x1) + (w2·x2)) + b)
    call: bool  # an application of a named function (sigmoid, log, ...)
    operations: int  # how many operations it holds

    @property
    def number(self) -> int:
        return self.node + 1


def reading(graph: Graph, root: int, limit: int | None = None) -> str:
    """The subexpression at `root` as a student writes it, with only the parentheses needed:
    sigmoid(w1·x1 + w2·x2 + b); with `limit`, its first `limit` characters and "…" where it is
    longer."""
    return written(graph.nodes, root, _needs_parentheses, limit)


def readings(graph: Graph, limit: int) -> list[str]:
    """`reading(graph, n, limit)` for every node n at once, in time linear in the graph: each
    node's text is put together from its inputs' first `limit` + 1 characters, which is all
    the first `limit` characters of its own can hold."""
    nodes = graph.nodes
    texts: list[str] = []
    for node in nodes:  # inputs come before their users
        op = node.op
        if op is None:
            text = node.symbol
        elif not op.spellings:
            text = f"{op.name}({texts[node.args[0]]})"
        else:
            pieces = [op.written] if op.arity == 1 else []
            for k, a in enumerate(node.args):
                if k:
                    pieces.append(op.written)
                inner = texts[a]
                pieces.append(f"({inner})" if _needs_parentheses(op, nodes[a], k) else inner)
            text = "".join(pieces)
        texts.append(text[: limit + 1])
    return [t if len(t) <= limit else t[:limit] + "…" for t in texts]


def _needs_parentheses(parent: Op, child: Node, position: int) -> bool:
    op = child.op
    if op is None or not op.spellings:
        return child.kind == "constant" and child.label.startswith("-")
    if op.arity == 1:  # −y: in parentheses after an operator, 2·(−y)
        return position > 0 or parent.precedence >= op.precedence
    if op.precedence != parent.precedence:
        return op.precedence < parent.precedence
    if parent.right_associative:
        return position == 0
    # a + b + c and a·b·c read left to right; a − (b − c) and a/(b/c) keep theirs
    return position == 1 and not (op is parent and parent.name in ("add", "mul"))


def inside(graph: Graph, root: int) -> list[int]:
    """The nodes of the subexpression at `root` that only it uses, in node order (root last).

    A node below the root is inside when it is an operation or a constant and every node that
    reads it is inside; users come after their inputs in node order, so one pass from the root
    down decides each node after all its users.
    """
    users = _users(graph)
    below = _below(graph, root)
    kept = {root}
    for n in range(root - 1, -1, -1):
        if n in below and graph.nodes[n].kind != "variable" and all(u in kept for u in users[n]):
            kept.add(n)
    return sorted(kept)


def _users(graph: Graph) -> list[list[int]]:
    users: list[list[int]] = [[] for _ in graph.nodes]
    for node in graph.nodes:
        for a in node.args:
            users[a].append(node.id)
    return users


def _below(graph: Graph, root: int) -> set[int]:
    seen = {root}
    stack = [root]
    while stack:
        for a in graph.nodes[stack.pop()].args:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return seen


def _inputs_of(graph: Graph, inner: Sequence[int]) -> tuple[int, ...]:
    kept = set(inner)
    inputs: list[int] = []
    for n in inner:
        for a in graph.nodes[n].args:
            if a not in kept and a not in inputs:
                inputs.append(a)
    return tuple(inputs)


def _dominators(graph: Graph) -> list[int]:
    """Each node's immediate dominator towards the output: the nearest node every path from it
    to the output goes through (-1 for the output and nodes the output does not read). A
    node's inside (see `inside`) is what it dominates. Users come after their inputs in node
    order, so one pass down the ids settles each node after all its users."""
    users = _users(graph)
    below = _below(graph, graph.output)
    idom = [-1] * len(graph.nodes)
    depth = [0] * len(graph.nodes)
    for v in range(len(graph.nodes) - 1, -1, -1):
        if v == graph.output or v not in below:
            continue
        common = -1
        for u in users[v]:
            if u not in below:
                continue
            if common < 0:
                common = u
                continue
            a, b = common, u
            while depth[a] > depth[b]:
                a = idom[a]
            while depth[b] > depth[a]:
                b = idom[b]
            while a != b:
                a, b = idom[a], idom[b]
            common = a
        idom[v], depth[v] = common, depth[common] + 1
    return idom


def _inside_counts(graph: Graph) -> tuple[list[int], list[bool]]:
    """Per node, how many operations its inside holds, and whether a function call worth a
    box of its own lies inside it (below the node itself)."""
    idom = _dominators(graph)
    operations = [0] * len(graph.nodes)
    call_below = [False] * len(graph.nodes)
    for node in graph.nodes:  # a dominated node comes before its dominator
        if node.kind == "operation":
            operations[node.id] += 1
        parent = idom[node.id]
        if parent >= 0 and node.kind != "variable":
            operations[parent] += operations[node.id]
            call_below[parent] = (
                call_below[parent] or call_below[node.id] or _is_call(node, operations[node.id])
            )
    return operations, call_below


def _is_call(node: Node, operations: int) -> bool:
    op = node.op
    return op is not None and not op.spellings and operations >= 2


def subexpressions(graph: Graph) -> tuple[Subexpression, ...]:
    """Every subexpression worth collapsing: each operation with another operation inside it,
    in node order (inner ones first)."""
    operations, _ = _inside_counts(graph)
    texts = readings(graph, TEXT_LENGTH)
    return tuple(
        Subexpression(
            node.id,
            texts[node.id],
            not (node.op and node.op.spellings),
            operations[node.id],
        )
        for node in graph.nodes
        if node.kind == "operation" and operations[node.id] >= 2
    )


def function_calls(graph: Graph) -> tuple[int, ...]:
    """The roots of the function calls with no other call inside them: one box per neuron of
    a network's first layer, `sigmoid(w1*x1 + w2*x2 + b)`."""
    operations, call_below = _inside_counts(graph)
    return tuple(
        node.id
        for node in graph.nodes
        if _is_call(node, operations[node.id]) and not call_below[node.id]
    )


def read_collapse(text: str, graph: Graph) -> tuple[int, ...]:
    """A link's list of node numbers to collapse ("4,9") as node ids; ValueError saying what
    is wrong with an entry that is not the number of a subexpression of this graph."""
    if not isinstance(text, str):
        raise ValueError("the boxes to collapse must be node numbers separated by commas")
    numbers = {s.number: s.node for s in subexpressions(graph)}
    result: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        shown = part if len(part) <= 12 else part[:12] + "…"
        if not (part.isascii() and part.isdigit()) or len(part) > 9:
            raise ValueError(
                f"“{shown}” is not a node number: the boxes to collapse are node numbers "
                "separated by commas, e.g. collapse=4,9"
            )
        number = int(part)
        if number not in numbers:
            listed = sorted(numbers)
            choices = ", ".join(str(n) for n in listed[:8]) + (", …" if len(listed) > 8 else "")
            raise ValueError(
                f"node {number} is not a subexpression that can be collapsed in this "
                f"function; those that can are nodes {choices}"
                if numbers
                else "this function has no subexpression to collapse: every operation is "
                "already one box"
            )
        if numbers[number] not in result:
            result.append(numbers[number])
    return tuple(sorted(result))


def collapse_text(roots: Iterable[int]) -> str:
    """The link's form of a list of node ids: "4,9"."""
    return ",".join(str(n + 1) for n in sorted(set(roots)))


# -- the box as an operation -----------------------------------------------------------------


class _Forward:
    """The box's forward: its inside evaluated at the inputs' values."""

    def __init__(self, inner: Graph) -> None:
        self.inner = inner

    def __call__(self, *args: Number) -> Number:
        values = self.inner.forward(dict(zip(self.inner.variables, args, strict=True)))
        return values[self.inner.output]


class _Local:
    """d box / d input at one position: reverse mode through the inside."""

    def __init__(self, inner: Graph, position: int) -> None:
        self.inner, self.position = inner, position

    def __call__(self, *args: Number) -> Number:
        inner = self.inner
        grads = inner.backward(inner.forward(dict(zip(inner.variables, args, strict=True))))
        (leaf,) = inner.leaves_of_variables()[inner.variables[self.position]]
        return grads[leaf]


@dataclass(frozen=True)
class BoxOp(Op):
    """A collapsed subexpression as an operation of its graph."""

    inner: Graph | None = None  # the inside, its inputs as variables in position order
    text: str = ""  # the subexpression as read
    root: int = 0  # its root's node id in the full graph
    operations: int = 0  # how many operations its inside holds
    names: tuple[str, ...] = field(default=())  # the inputs' names, in position order
    folded: bool = False  # an operation with its constants written in, not a subexpression
    holds: tuple[int, ...] = ()  # the node ids of the full graph drawn as this box, root last

    @property
    def argument_names(self) -> tuple[str, ...]:
        return self.names


class BoxLabel(str):
    """A box node's label: its text, carrying its `BoxOp` (see `engine.ops.OpTable`)."""

    op: BoxOp

    def __new__(cls, text: str, op: BoxOp) -> BoxLabel:
        label = super().__new__(cls, text)
        label.op = op
        return label

    def __reduce__(self):
        return (BoxLabel, (str(self), self.op))


def _inner_ids(graph: Graph, root: int, constants_only: bool) -> list[int]:
    """What a box holds: the subexpression's inside, or with `constants_only` the operation at
    `root` and its constant arguments."""
    if not constants_only:
        return inside(graph, root)
    return sorted({a for a in graph.nodes[root].args if graph.nodes[a].kind == "constant"} | {root})


def box_op(
    graph: Graph,
    root: int,
    constants_only: bool = False,
    shown: Mapping[int, tuple[str, str]] | None = None,
    inner_ids: Sequence[int] | None = None,
) -> tuple[BoxOp, tuple[int, ...]]:
    """The box of the subexpression at `root`, and its inputs (node ids of `graph`). With
    `constants_only`, the box is the operation at `root` with its constant arguments written
    in (2·x, with x its one input). `shown` names inputs as text and LaTeX where the box is
    drawn in another graph than `graph` (by default `graph`'s names); `inner_ids` is what it
    holds where already known (see `_inner_ids`)."""
    from .explain import node_name

    if inner_ids is None:
        inner_ids = _inner_ids(graph, root, constants_only)
    inputs = _inputs_of(graph, inner_ids)
    input_names = {a: (shown or {}).get(a) or node_name(graph, a) for a in inputs}
    names = tuple(f"input{i + 1}" for i in range(len(inputs)))
    nodes: list[Node] = []
    new: dict[int, int] = {}
    for i, a in enumerate(inputs):
        new[a] = len(nodes)
        nodes.append(Node(len(nodes), "variable", names[i]))
    for n in inner_ids:
        node = graph.nodes[n]
        new[n] = len(nodes)
        nodes.append(replace(node, id=len(nodes), args=tuple(new[a] for a in node.args)))
    text = reading(graph, root)
    if constants_only:  # the operation alone, with only its constants written in
        text = reading(Graph(tuple(nodes), new[root], names), new[root])
        for name, a in reversed(list(zip(names, inputs, strict=True))):  # input10 first
            text = text.replace(name, input_names[a][0])
    inner = Graph(tuple(nodes), new[root], names, text)
    root_op = graph.nodes[root].op
    call = root_op is not None and not root_op.spellings
    symbol = text if len(text) <= SYMBOL_LENGTH else _short(text, graph.nodes[root], call)
    op = BoxOp(
        name=text,
        symbol=symbol,
        forward=_Forward(inner),
        local_derivatives=tuple(_Local(inner, p) for p in range(len(inputs))),
        formula=Formula(text, text),
        derivative_formulas=tuple(
            Formula(f"∂({text})/∂{input_names[a][0]}", rf"\partial/\partial {input_names[a][1]}")
            for a in inputs
        ),
        inner=inner,
        text=text,
        root=root,
        operations=sum(1 for n in inner_ids if graph.nodes[n].kind == "operation"),
        names=names,
        folded=constants_only,
        holds=tuple(inner_ids),
    )
    return op, inputs


def _short(text: str, root: Node, call: bool) -> str:
    if call:
        return f"{root.label}(…)"
    return text[: SYMBOL_LENGTH - 1] + "…"


class CollapsedGraph(Graph):
    """A graph with some subexpressions collapsed into boxes. `full` is the graph with every
    box expanded; `original[n]` is node n's id in it."""

    def __init__(
        self,
        nodes: tuple[Node, ...],
        output: int,
        full: Graph,
        original: tuple[int, ...],
    ) -> None:
        super().__init__(nodes, output, full.variables, full.text)
        self.full = full
        self.original = original
        self.reading_notes = full.reading_notes

    def to_text(self) -> str:
        return self.full.to_text()

    def boxes(self) -> dict[int, BoxOp]:
        """Node id -> the box's operation, for every collapsed box."""
        return {n.id: n.label.op for n in self.nodes if isinstance(n.label, BoxLabel)}


def collapse(
    graph: Graph, roots: Iterable[int] = (), *, hide_constants: bool = False
) -> CollapsedGraph:
    """`graph` with the subexpression at each root (node ids) drawn as one box.

    A root inside another collapsed subexpression is hidden in it (expanding the outer box
    shows it collapsed). With `hide_constants`, every other operation that reads a constant
    is a box with the constant written in (2·x), and a constant only such boxes read is not
    drawn. Raises ValueError for a root that is not an operation of the graph.
    """
    wanted = set()
    for r in roots:
        if not (isinstance(r, int) and 0 <= r < len(graph.nodes)):
            raise ValueError(f"{r!r} is not a node id of this graph")
        if graph.nodes[r].kind != "operation":
            raise ValueError(f"node {r + 1} is {graph.nodes[r].label}, not an operation")
        wanted.add(r)
    hidden: set[int] = set()
    outer: dict[int, list[int]] = {}  # each outermost root: its inside
    for r in sorted(wanted, reverse=True):  # a user comes after its inputs: outer boxes first
        if r in hidden:
            continue
        outer[r] = inside(graph, r)
        hidden.update(n for n in outer[r] if n != r)
    folded: set[int] = set()
    if hide_constants:
        folded = {
            n.id
            for n in graph.nodes
            if n.kind == "operation"
            and n.id not in hidden
            and n.id not in outer
            and any(graph.nodes[a].kind == "constant" for a in n.args)
        }
        users = _users(graph)
        hidden.update(
            n.id
            for n in graph.nodes
            if n.kind == "constant" and users[n.id] and all(u in folded for u in users[n.id])
        )
    # First the shape (which nodes stay, what each box reads), so that a box's text can name
    # its inputs as the diagram numbers them (v₂ + 1); then the boxes.
    nodes: list[Node] = []
    original: list[int] = []
    new: dict[int, int] = {}
    boxes: dict[int, list[int]] = {}  # each box's root: what it holds
    for node in graph.nodes:
        if node.id in hidden:
            continue
        if node.id in outer or node.id in folded:
            boxes[node.id] = outer.get(node.id) or _inner_ids(graph, node.id, True)
            inputs = _inputs_of(graph, boxes[node.id])
            new_node = Node(len(nodes), "operation", node.label, tuple(new[a] for a in inputs))
        else:
            new_node = replace(node, id=len(nodes), args=tuple(new[a] for a in node.args))
        new[node.id] = len(nodes)
        nodes.append(new_node)
        original.append(node.id)
    if boxes:
        from .explain import node_name

        shape = Graph(tuple(nodes), new[graph.output], graph.variables)
        for root, inner_ids in boxes.items():
            shown = {a: node_name(shape, new[a]) for a in _inputs_of(graph, inner_ids)}
            op, _ = box_op(graph, root, root in folded, shown, inner_ids)
            box = nodes[new[root]]
            nodes[box.id] = Node(box.id, "operation", BoxLabel(op.symbol, op), box.args)
    return CollapsedGraph(tuple(nodes), new[graph.output], graph, tuple(original))


def box_of(graph: Graph, node_id: int) -> BoxOp | None:
    """The box's operation where node `node_id` is a collapsed box, else None."""
    label = graph.nodes[node_id].label
    return label.op if isinstance(label, BoxLabel) else None


# -- how a box's steps are explained ---------------------------------------------------------


def explain_box(trace: Trace, k: int) -> Explanation | None:
    """Step k in words where it is a collapsed box's forward or backward step, else None."""
    from .trace import BackwardStep, ForwardStep

    if k == 0:
        return None
    step = trace.steps[k - 1]
    if not isinstance(step, (ForwardStep, BackwardStep)):
        return None
    box = box_of(trace.graph, step.node)
    if box is None:
        return None
    if isinstance(step, ForwardStep):
        return _forward(trace, step, box)
    return _backward(trace, step, box)


def _about(box: BoxOp, name: str) -> str:
    if box.folded:
        return f"{name} is {box.text} with its constants written in: it runs"
    operations = f"{box.operations} operations" if box.operations != 1 else "one operation"
    return f"{name} is {box.text}, collapsed: its {operations} run inside it"


def _forward(trace: Trace, step: ForwardStep, box: BoxOp) -> Explanation:
    from .explain import PHASE_TITLES, Explanation, L, M, W, node_name, who

    graph = trace.graph
    name_text, name_latex = node_name(graph, step.node)
    node = graph.nodes[step.node]
    given = ", ".join(
        f"{node_name(graph, a)[0]} = {number_text(trace.values[a])}" for a in node.args
    )
    lines = [
        L(
            M(
                f"{name_text} = {box.text} = {number_text(step.value)}",
                rf"{name_latex} = \text{{{_latex_text(box.text)}}} = "
                f"{number_latex(step.value)}",
            )
        ),
        L(W(f"{_about(box, name_text)} in this one step, from {given}.{_click(box)}")),
    ]
    return Explanation(
        f"{PHASE_TITLES['forward']}: {who(graph, step.node)}", tuple(lines), step.warning
    )


def _backward(trace: Trace, step: BackwardStep, box: BoxOp) -> Explanation:
    from .explain import (
        PHASE_TITLES,
        Explanation,
        Kind,
        L,
        M,
        W,
        _received_lines,
        node_name,
        who,
    )

    graph = trace.graph
    name_text, name_latex = node_name(graph, step.node)
    lines = list(_received_lines(trace, step))
    d_out = number_text(step.d_out)
    for send in step.sends:
        to_text, to_latex = node_name(graph, send.to)
        local_text = f"∂{name_text}/∂{to_text}"
        local_latex = rf"\frac{{\partial {name_latex}}}{{\partial {to_latex}}}"
        if send.undefined:
            lines.append(
                L(
                    W(f"To {to_text}: "),
                    M("nan", r"\mathrm{nan}"),
                    W(f": {name_text} has no finite value, so there is no derivative to send"),
                    kind=Kind.SEND,
                )
            )
            continue
        if send.numerical is not None:
            f_plus, f_minus = send.numerical
            eps_text = number_text(trace.eps)
            local_text = f"({number_text(f_plus, 9)} − {paren_text(f_minus, 9)}) / (2·{eps_text})"
            local_latex = local_text
        lines.append(
            L(
                W(f"To {to_text}: "),
                M(
                    f"d_out · {local_text} = {d_out} · {paren_text(send.local)} = "
                    f"{number_text(send.contribution)}",
                    rf"d_{{\mathrm{{out}}}} \cdot {local_latex} = "
                    rf"{number_latex(step.d_out)} \cdot {number_latex(send.local, True)} = "
                    f"{number_latex(send.contribution)}",
                ),
                kind=Kind.SEND,
            )
        )
    if step.sends:
        how = (
            "by central difference on the whole box"
            if any(s.numerical is not None for s in step.sends)
            else "from its inside: a backward pass through it"
        )
        lines.append(
            L(
                W(f"{_about(box, name_text)}, so its local derivatives come {how}.{_click(box)}"),
                kind=Kind.MODE,
            )
        )
    if not math.isfinite(step.d_out):
        lines.append(L(W(f"d_out is {d_out}, not a derivative."), kind=Kind.NO_GRADIENT))
    return Explanation(
        f"{PHASE_TITLES['backward']}: {who(graph, step.node)}", tuple(lines), step.warning
    )


def _click(box: BoxOp) -> str:
    return "" if box.folded else " Click it to expand it."


def _latex_text(text: str) -> str:
    return "".join("\\" + c if c in "{}_^#$%&~\\" else c for c in text)
