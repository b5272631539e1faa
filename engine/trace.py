"""The lesson as data: every step of forward, topological order and backward, in one timeline.

A trace holds only what each step does (linear in the size of the graph); `state_at(k)` replays
steps to give what is known after step k: the values, the order so far, and the d_out that
has arrived at each node. A renderer draws from a state and never recomputes any math.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal, cast

import numpy as np

from .format import not_finite_text, number_text, paren_text, subscript
from .ops import OPS, Number, Op

if TYPE_CHECKING:
    from .graph import Graph, Node

Phase = Literal["forward", "order", "backward"]
PHASES: tuple[Phase, ...] = ("forward", "order", "backward")
PHASE_TITLES = {
    "forward": "Forward pass",
    "order": "Topological order",
    "backward": "Backward pass",
}


@dataclass(frozen=True)
class ForwardStep:
    """An operation computes its value from its inputs' values."""

    node: int
    inputs: tuple[float, ...]
    value: float
    warning: str | None = None
    phase: ClassVar[Phase] = "forward"


@dataclass(frozen=True)
class OrderStep:
    """One move of the depth-first search from the output that orders the graph.

    'enter': the search reaches the node and goes on to its inputs; 'finish': all its inputs
    are in the order, so the node is appended at `position`; 'skip': the node was entered before
    (a fan-out), nothing to do.
    """

    node: int
    action: Literal["enter", "finish", "skip"]
    via: int | None = None  # the node the search came from
    position: int | None = None  # the node's place in the order (0-based), when finished
    phase: ClassVar[Phase] = "order"


NoteKind = Literal["undefined", "overflow", "kink", "eps"]


@dataclass(frozen=True)
class Note:
    """Why a number in the backward pass is not a plain derivative, where the reason arises.

    undefined: the operation has no finite value there, so it has no derivative; overflow: a
    product or sum went beyond the largest float; kink: the operation is not differentiable
    there and the engine uses a conventional value (`Op.kink`); eps: the numerical local
    derivative cannot be trusted with this eps. `warning` is False for a kink whose
    conventional value is finite: that is a convention to know, not a failure.
    """

    node: int  # the operation whose backward step it concerns
    kind: NoteKind
    text: str
    to: int | None = None  # the input along whose edge it arose, if one
    warning: bool = True


@dataclass(frozen=True)
class Send:
    """What a node sends back along one input edge during its backward step."""

    to: int  # the input node that receives it
    position: int  # the argument position at the sender (x*x sends twice to x)
    local: float  # the local derivative d node / d input
    contribution: float  # d_out · local
    total: float  # the receiver's d_out so far, this contribution included
    numerical: tuple[float, float] | None = None  # f(input + eps), f(input - eps) if numerical
    late: bool = False  # the receiver had fired already (a wrong order): it is never passed on
    # The sender has no finite value, so it has no derivative: local and contribution are nan.
    undefined: bool = False


@dataclass(frozen=True)
class Received:
    """A contribution that arrived at a node from one of its users."""

    sender: int
    position: int
    amount: float


@dataclass(frozen=True)
class Copies:
    """A variable drawn as several leaves (the tree view): each leaf's d_out is a share of the
    gradient, and the gradient is their sum, complete once the last leaf has fired."""

    name: str
    count: int  # how many leaves the variable has
    shares: tuple[tuple[int, float], ...]  # (leaf, d_out) of the leaves fired so far, in order
    total: float | None = None  # the gradient, the sum of all shares: at the last leaf

    @property
    def last(self) -> bool:
        return len(self.shares) == self.count


@dataclass(frozen=True)
class BackwardStep:
    """A node, now that every user has sent its contribution, passes d_out to its inputs."""

    node: int
    d_out: float
    received: tuple[Received, ...]  # empty for the output, which starts with d_out = 1
    sends: tuple[Send, ...]
    warning: str | None = None
    # Users that had not sent yet when the node fired: only in a wrong order (see
    # `backward_in_order`); what they send later never reaches the node's inputs.
    early_by: tuple[int, ...] = ()
    notes: tuple[Note, ...] = ()  # reasons found at this step (see `Note`)
    copies: Copies | None = None  # a variable's leaf in the tree view
    origin: int | None = None  # where a non-finite d_out first arose, if it is one
    phase: ClassVar[Phase] = "backward"


Step = ForwardStep | OrderStep | BackwardStep


@dataclass
class State:
    """What is known after `index` steps (0: before the first). `step` is the one just taken."""

    index: int
    step: Step | None
    values: dict[int, float]  # node values known so far
    passed: dict[tuple[int, int], float]  # (target, position) -> value sent forward
    visited: set[int] = field(default_factory=set)
    stack: list[int] = field(default_factory=list)
    order: list[int] = field(default_factory=list)
    grads: dict[int, float] = field(default_factory=dict)  # d_out accumulated so far
    sent: dict[tuple[int, int], float] = field(default_factory=dict)  # backward, per edge
    done: set[int] = field(default_factory=set)  # nodes whose backward step has run

    @property
    def phase(self) -> Phase | None:
        return self.step.phase if self.step is not None else None

    def apply(self, step: Step) -> None:
        self.index += 1
        self.step = step
        if isinstance(step, ForwardStep):
            self.values[step.node] = step.value
            for position, value in enumerate(step.inputs):
                self.passed[(step.node, position)] = value
        elif isinstance(step, OrderStep):
            if step.action == "enter":
                self.visited.add(step.node)
                self.stack.append(step.node)
            elif step.action == "finish":
                self.stack.pop()
                self.order.append(step.node)
        else:
            self.grads.setdefault(step.node, step.d_out)
            for send in step.sends:
                self.grads[send.to] = send.total
                self.sent[(step.node, send.position)] = send.contribution
            self.done.add(step.node)


@dataclass(frozen=True)
class Trace:
    graph: Graph
    inputs: Mapping[str, float]
    local: Literal["symbolic", "numerical", "mixed"]  # mixed: chosen per operation
    eps: float
    values: tuple[float, ...]  # every node's value
    grads: tuple[float, ...]  # every node's d output / d node (0 where not needed)
    order: tuple[int, ...]  # the topological order: inputs first, output last
    steps: tuple[Step, ...]
    warnings: tuple[tuple[int, str], ...]  # (node, message) where nan/inf first appeared
    notes: tuple[Note, ...] = ()  # every reason a backward number is not a plain derivative

    @property
    def value(self) -> float:
        return self.values[self.graph.output]

    @property
    def gradient(self) -> dict[str, float]:
        result = {v: 0.0 for v in self.graph.variables}
        for node in self.graph.nodes:
            if node.kind == "variable":
                result[node.label] += self.grads[node.id]
        return result

    def __len__(self) -> int:
        return len(self.steps)

    def phase_range(self, phase: Phase) -> range:
        """The step numbers (1-based, as shown) of one phase."""
        numbers = [k for k, step in enumerate(self.steps, 1) if step.phase == phase]
        return range(numbers[0], numbers[-1] + 1) if numbers else range(0)

    def initial_state(self) -> State:
        known = {n.id: self.values[n.id] for n in self.graph.nodes if n.kind != "operation"}
        return State(0, None, known, {})

    def state_at(self, k: int) -> State:
        """The state after steps 1..k (k = 0: nothing computed yet). Replays in O(k)."""
        if not 0 <= k <= len(self.steps):
            raise IndexError(f"step {k} is outside 0..{len(self.steps)}")
        state = self.initial_state()
        for step in self.steps[:k]:
            state.apply(step)
        return state

    def states(self) -> Iterator[State]:
        """The states after step 0, 1, ..., n: ONE object updated in place (copy to keep)."""
        state = self.initial_state()
        yield state
        for step in self.steps:
            state.apply(step)
            yield state


LARGEST = "the largest float (about 1.8·10³⁰⁸)"


def call_text(node: Node, inputs: Sequence[float]) -> str:
    """An operation applied to numbers, in plain text: 1 × 1e−10, log(−1), √0. A collapsed
    box of constants alone has no inputs: its own text, sqrt(2 − 3)."""
    if not inputs:
        return node.label
    if len(inputs) == 2:
        return f"{paren_text(inputs[0])} {node.symbol} {paren_text(inputs[1])}"
    return f"{node.label}({number_text(inputs[0])})"


def _who(graph: Graph, node_id: int) -> str:
    node = graph.nodes[node_id]
    if node.kind != "operation":
        return node.symbol
    return f"{node.symbol} (v{subscript(graph.numbers[node_id])})"


@dataclass(frozen=True)
class NumericalLocal:
    value: float
    f_plus: float
    f_minus: float
    problem: str | None  # why this central difference cannot be trusted, if it cannot


def numerical_local(
    op: Op, args: Sequence[float], position: int, eps: float, name: str | None = None
) -> NumericalLocal:
    """The local derivative by central difference in one argument, and whether eps is usable:
    a step that leaves the operation's domain, one so small that z ± eps rounds back to z
    (the difference is 0), or one so large that the arithmetic overflows."""
    x = [np.float64(v) for v in args]
    plus, minus = list(x), list(x)
    plus[position] += eps
    minus[position] -= eps
    with np.errstate(all="ignore"):
        f_plus, f_minus = float(op.forward(*plus)), float(op.forward(*minus))
        value = float((np.float64(f_plus) - np.float64(f_minus)) / (2 * np.float64(eps)))
        symbolic = float(op.local_derivatives[position](*x))
    name = name or op.argument_names[position]
    eps_text = number_text(eps)
    problem = None
    if not math.isfinite(value):
        if not math.isfinite(2 * eps) or not (
            math.isfinite(plus[position]) and math.isfinite(minus[position])
        ):
            problem = (
                f"eps = {eps_text} is so large that {name} ± eps or 2·eps is beyond "
                f"{LARGEST}: the central difference is {number_text(value)}"
            )
        else:
            for side, f_side, arg in (("−", f_minus, minus), ("+", f_plus, plus)):
                if not math.isfinite(f_side):
                    where = f"{name} {side} eps = {number_text(arg[position])}"
                    why = op.domain_at(*arg)
                    reason = f" ({why})" if why else ""
                    problem = (
                        f"{where} leaves the domain of {op.name}{reason}: "
                        f"f({number_text(arg[position])}) = {number_text(f_side)}, so "
                        f"the central difference is {number_text(value)}; the symbolic "
                        f"local derivative is {number_text(symbolic)}"
                    )
                    break
            else:
                problem = (
                    f"the central difference overflows: ({number_text(f_plus)} − "
                    f"{paren_text(f_minus)}) / (2·{eps_text}) is beyond {LARGEST}"
                )
    elif f_plus == f_minus and symbolic != 0 and math.isfinite(symbolic):
        rounds = plus[position] == x[position] and minus[position] == x[position]
        why = (
            f"{name} ± eps rounds back to {name} = {number_text(x[position])}"
            if rounds
            else f"f({name} + eps) and f({name} − eps) are the same float"
        )
        problem = (
            f"eps = {eps_text} is too small: {why}, so the difference is 0, not the "
            f"derivative (symbolically {number_text(symbolic)})"
        )
    elif (
        math.isfinite(symbolic)
        and abs(value - symbolic) > 1e-3 * max(1.0, abs(symbolic))
        and not op.has_kink(*x)
    ):
        problem = (
            f"eps = {eps_text} gives {number_text(value)} where the symbolic local "
            f"derivative is {number_text(symbolic)}: eps is too large for the "
            "curvature here or too small for the float round-off"
        )
    return NumericalLocal(value, f_plus, f_minus, problem)


def _local_modes(graph: Graph, local: str | Mapping[int, str]) -> list[str]:
    """The local-derivative mode of every node: one for all, or per operation from a mapping
    {node id: 'symbolic' | 'numerical'} (operations it leaves out are symbolic)."""
    modes = ("symbolic", "numerical")
    if isinstance(local, str):
        if local not in modes:
            raise ValueError(f"local must be 'symbolic' or 'numerical', not {local!r}")
        return [local] * len(graph.nodes)
    result = ["symbolic"] * len(graph.nodes)
    for node_id, mode in local.items():
        if not (
            isinstance(node_id, int)
            and 0 <= node_id < len(graph.nodes)
            and graph.nodes[node_id].kind == "operation"
        ):
            raise ValueError(f"local names {node_id!r}, which is not an operation's node id")
        if mode not in modes:
            raise ValueError(
                f"the local mode of node {node_id + 1} must be 'symbolic' or "
                f"'numerical', not {mode!r}"
            )
        result[node_id] = mode
    return result


def build_trace(
    graph: Graph,
    inputs: Mapping[str, Number],
    *,
    local: str | Mapping[int, str] = "symbolic",
    eps: float = 1e-4,
    backward_order: Sequence[int] | None = None,
) -> Trace:
    """`local` is one mode for every box or a mapping {operation's node id: mode}.
    `backward_order`: see `backward_in_order`; without it, the trace has the order phase and
    the backward pass follows the order found."""
    modes = _local_modes(graph, local)
    if not (isinstance(eps, (int, float)) and np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive number, not {eps!r}")
    for name, v in inputs.items():
        if np.ndim(v) != 0:
            raise ValueError(f"a trace needs one number per variable; {name} is an array")
    values = [float(v) for v in graph.forward(inputs)]  # plain floats: math.isfinite is quick
    nodes = graph.nodes
    steps: list[Step] = []
    warnings: dict[int, str] = {}
    notes: list[Note] = []

    # 1. Forward, in node order: every input was created, and so computed, before its user.
    for node in nodes:
        if node.kind != "operation":
            if not math.isfinite(values[node.id]):
                warnings[node.id] = f"{node.symbol} = {not_finite_text(values[node.id])}"
            continue
        args = tuple(values[a] for a in node.args)
        warning = None
        if not math.isfinite(values[node.id]) and all(map(math.isfinite, args)):
            op = OPS[node.label]
            warning = (
                f"{call_text(node, args)} = {not_finite_text(values[node.id])} at "
                f"{_who(graph, node.id)}" + (f": {why}" if (why := op.domain_at(*args)) else "")
            )
            warnings[node.id] = warning
        steps.append(ForwardStep(node.id, args, values[node.id], warning))

    # 2. Topological order, by the same depth-first search `topological_order` uses. A trace
    # in a given order skips this phase but keeps the order found, to draw it beside its own.
    order: list[int] = []
    if backward_order is not None:
        order = graph.topological_order()
    else:
        for action, node_id, via in graph.depth_first_search():
            position = None
            if action == "finish":
                position = len(order)
                order.append(node_id)
            steps.append(OrderStep(node_id, action, via, position))

    # 3. Backward along the order reversed: each node fires once all its users have sent.
    grads = [0.0] * len(nodes)
    grads[graph.output] = 1.0
    origin: list[int | None] = [None] * len(nodes)  # where a non-finite d_out first arose
    start_notes: list[Note] = []
    output = nodes[graph.output]
    if output.kind != "operation" and not math.isfinite(values[graph.output]):
        # The function is the input itself and has no finite value (x at x = nan): no
        # derivative, as at an operation with no finite value.
        grads[graph.output] = math.nan
        origin[graph.output] = graph.output
        start_notes.append(
            Note(
                graph.output,
                "undefined",
                f"{output.label} = {not_finite_text(values[graph.output])}: the function has "
                "no finite value here, so it has no derivative",
            )
        )
    received: list[list[Received]] = [[] for _ in nodes]
    needs = graph.needs_gradient
    users = graph.consumers() if backward_order is not None else None
    leaves = graph.leaves_of_variables()
    fired_leaves: dict[str, list[tuple[int, float]]] = {}
    fired: set[int] = set()
    with np.errstate(all="ignore"):
        for node_id, receivers in graph.backward_walk(backward_order):
            node = nodes[node_id]
            early_by: tuple[int, ...] = ()
            if users is not None:
                early_by = tuple(sorted({u for u, _ in users[node_id] if u not in fired}))
                fired.add(node_id)
            d_out = grads[node_id]
            sends: list[Send] = []
            step_notes: list[Note] = start_notes if node_id == graph.output else []
            copies = None
            if node.kind == "variable" and len(leaves[node.label]) > 1:
                shares = fired_leaves.setdefault(node.label, [])
                shares.append((node_id, d_out))
                count = len(leaves[node.label])
                total = None
                if len(shares) == count:
                    total = 0.0
                    for leaf in leaves[node.label]:  # in node order, as `Trace.gradient` adds
                        total += grads[leaf]
                copies = Copies(node.label, count, tuple(shares), total)
            if node.kind == "operation":
                op = OPS[node.label]
                # NumPy floats, as in the forward pass: 1/0 is then inf, not ZeroDivisionError.
                xs = [np.float64(values[a]) for a in node.args]
                # No finite value, no derivative: what the formulas would give is not one.
                undefined = not math.isfinite(values[node_id])
                kink = not undefined and op.has_kink(*xs)
                if kink and op.kink is not None:
                    finite = all(
                        math.isfinite(float(op.local_derivatives[p](*xs))) for p, _ in receivers
                    )
                    step_notes.append(
                        Note(node_id, "kink", f"{op.kink.why}; {op.kink.uses}", warning=not finite)
                    )
                for position, a in receivers:
                    numerical = None
                    if undefined:
                        local_value = contribution = math.nan
                    else:
                        if modes[node_id] == "symbolic":
                            local_value = float(op.local_derivatives[position](*xs))
                        else:
                            result = numerical_local(
                                op,
                                xs,
                                position,
                                eps,
                                graph.nodes[a].label
                                if graph.nodes[a].kind != "operation"
                                else None,
                            )
                            local_value = result.value
                            numerical = (result.f_plus, result.f_minus)
                            if result.problem:
                                step_notes.append(
                                    Note(
                                        node_id,
                                        "eps",
                                        f"{_who(graph, node_id)}: {result.problem}",
                                        a,
                                    )
                                )
                        contribution = d_out * local_value
                    before = grads[a]
                    grads[a] = before + contribution
                    received[a].append(Received(node_id, position, contribution))
                    sends.append(
                        Send(
                            a,
                            position,
                            local_value,
                            contribution,
                            grads[a],
                            numerical,
                            a in fired,
                            undefined,
                        )
                    )
                    step_notes += _first_non_finite(
                        graph,
                        node_id,
                        xs,
                        a,
                        d_out,
                        local_value,
                        contribution,
                        before,
                        grads[a],
                        kink,
                        undefined,
                        numerical is not None,
                    )
                    if not math.isfinite(grads[a]) and origin[a] is None:
                        origin[a] = (
                            origin[node_id]
                            if not math.isfinite(d_out) and origin[node_id] is not None
                            else node_id
                        )
            notes += step_notes
            messages = [n.text for n in step_notes if n.warning]
            for n in step_notes:
                if n.warning:
                    warnings.setdefault(n.node, n.text)
            steps.append(
                BackwardStep(
                    node_id,
                    d_out,
                    tuple(received[node_id]),
                    tuple(sends),
                    "; ".join(messages) or None,
                    early_by,
                    tuple(step_notes),
                    copies,
                    origin[node_id],
                )
            )

    used = {modes[n.id] for n in nodes if n.kind == "operation" and needs[n.id]}
    summary = cast(
        Literal["symbolic", "numerical", "mixed"],
        local
        if isinstance(local, str)
        else used.pop()
        if len(used) == 1
        else "mixed"
        if used
        else "symbolic",
    )
    return Trace(
        graph=graph,
        inputs={k: float(v) for k, v in inputs.items()},
        local=summary,
        eps=float(eps),
        values=tuple(values),
        grads=tuple(float(g) for g in grads),
        order=tuple(order),
        steps=tuple(steps),
        warnings=tuple(sorted(warnings.items())),
        notes=tuple(notes),
    )


def _infinite_slope(node: Node, args: Sequence[float]) -> bool:
    """True where a local derivative is infinite because the slope is (log at 0, ln 0 in
    x^x at 0), not because a finite number went beyond the largest float: with the wider
    range of long doubles, each infinite local derivative stays infinite."""
    op = OPS[node.label]
    wide = [np.longdouble(v) for v in args]
    if np.finfo(np.longdouble).max <= np.finfo(np.float64).max:
        return False  # no wider floats here: the overflow note stays
    with np.errstate(all="ignore"):
        for derivative in op.local_derivatives:
            narrow = float(derivative(*[np.float64(v) for v in args]))
            if math.isinf(narrow) and np.isfinite(derivative(*wide)):
                return False
    return True


def _first_non_finite(
    graph: Graph,
    node_id: int,
    args: Sequence[float],
    to: int,
    d_out: float,
    local: float,
    contribution: float,
    before: float,
    total: float,
    kink: bool,
    undefined: bool,
    numerical: bool,
) -> list[Note]:
    """A note where nan or inf first appears on an edge: in the local derivative, in the d_out
    sent (d_out · local) or in the receiver's running sum, each from finite numbers."""
    if undefined or not math.isfinite(d_out):
        return []  # said at the node that has no value, or where the d_out arose
    node = graph.nodes[node_id]
    edge = f"from {_who(graph, node_id)} to {_who(graph, to)}"
    if not math.isfinite(local):
        if kink or numerical:
            return []  # the kink's or the eps's note says why
        infinite = math.isinf(local) and _infinite_slope(node, args)
        kind: NoteKind = "overflow" if math.isinf(local) and not infinite else "undefined"
        why = (
            "the slope is infinite there: the derivative tends to "
            f"{'−∞' if local < 0 else '+∞'}, so there is no finite derivative"
            if infinite
            else f"beyond {LARGEST}"
            if kind == "overflow"
            else "the derivative does not exist there"
        )
        return [
            Note(
                node_id,
                kind,
                f"the local derivative of {node.symbol} {edge} is "
                f"{not_finite_text(local)} at "
                f"{call_text(node, [float(v) for v in args])}: "
                f"{why}",
                to,
            )
        ]
    if not math.isfinite(contribution):
        return [
            Note(
                node_id,
                "overflow",
                f"the d_out sent {edge} overflows: "
                f"{number_text(d_out)} · {paren_text(local)} = "
                f"{not_finite_text(contribution)}, beyond {LARGEST}, "
                "though the true gradient may be finite",
                to,
            )
        ]
    if not math.isfinite(total) and math.isfinite(before):
        return [
            Note(
                node_id,
                "overflow",
                f"the running sum at {_who(graph, to)} overflows: "
                f"{number_text(before)} + {paren_text(contribution)} "
                f"= {not_finite_text(total)}, beyond {LARGEST}",
                to,
            )
        ]
    return []


# -- the backward pass in an order of one's choosing --------------------------------------------


def backward_in_order(
    graph: Graph,
    values: Mapping[str, Number] | None = None,
    order: Sequence[int] = (),
    *,
    local: str | Mapping[int, str] = "symbolic",
    eps: float = 1e-4,
    **more: Number,
) -> Trace:
    """A trace whose backward steps run in `order` (node ids, the first to fire first).

    Each node fires with the d_out that has arrived so far. In an order that is not a reversed
    topological order, a node can fire before all its users have sent: its step lists them in
    `early_by`, and what they send afterwards is added to the node but never passed on, so the
    gradient comes out wrong. Nodes that need no gradient (constants) may be left out; every
    other node must appear exactly once. The trace has the forward phase and this backward
    pass; its `order` is still the topological order, for comparison.
    """
    inputs = graph.inputs(values, **more)
    order = list(order)
    size = len(graph.nodes)
    bad = [n for n in order if not (isinstance(n, int) and 0 <= n < size)]
    if bad:
        raise ValueError(f"the order names {bad[0]!r}, which is not a node id (0 to {size - 1})")
    seen: set[int] = set()
    twice = []
    for n in order:
        if n in seen:
            twice.append(n)
        seen.add(n)
    if twice:
        raise ValueError(f"the order lists {_who(graph, twice[0])} more than once")
    missing = [n.id for n in graph.nodes if graph.needs_gradient[n.id] and n.id not in seen]
    if missing:
        raise ValueError(
            "the order leaves out "
            + ", ".join(_who(graph, n) for n in missing)
            + ": every node on a path from a variable must fire once"
        )
    return build_trace(graph, inputs, local=local, eps=eps, backward_order=order)


def first_visit_order(graph: Graph) -> list[int]:
    """Nodes as a depth-first search from the output first reaches them: a plausible order
    that is wrong wherever a node fans out (it can come before one of its users)."""
    return [node for action, node, _ in graph.depth_first_search() if action == "enter"]


def breadth_first_order(graph: Graph) -> list[int]:
    """Nodes by distance from the output, nearest first (each at its first discovery)."""
    seen = {graph.output}
    result = [graph.output]
    for node in result:  # grows while it is read: a queue
        for a in graph.nodes[node].inputs:
            if a not in seen:
                seen.add(a)
                result.append(a)
    return result
