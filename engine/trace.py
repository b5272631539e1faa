"""The lesson as data: every step of forward, topological order and backward, in one timeline.

A trace holds only what each step does (linear in the size of the graph); `state_at(k)` replays
steps to give what is known after step k: the values, the order so far, and the d_out that
has arrived at each node. A renderer draws from a state and never recomputes any math.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Union

import numpy as np

from .graph import Graph, Node
from .ops import OPS, Op

Phase = Literal["forward", "order", "backward"]
PHASES: tuple[Phase, ...] = ("forward", "order", "backward")
PHASE_TITLES = {"forward": "Forward pass", "order": "Topological order",
                "backward": "Backward pass"}


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
    via: int | None = None        # the node the search came from
    position: int | None = None   # the node's place in the order (0-based), when finished
    phase: ClassVar[Phase] = "order"


@dataclass(frozen=True)
class Send:
    """What a node sends back along one input edge during its backward step."""
    to: int                # the input node that receives it
    position: int          # the argument position at the sender (x*x sends twice to x)
    local: float           # the local derivative d node / d input
    contribution: float    # d_out · local
    total: float           # the receiver's d_out so far, this contribution included
    numerical: tuple[float, float] | None = None  # f(input + eps), f(input - eps) if numerical


@dataclass(frozen=True)
class Received:
    """A contribution that arrived at a node from one of its users."""
    sender: int
    position: int
    amount: float


@dataclass(frozen=True)
class BackwardStep:
    """A node, now that every user has sent its contribution, passes d_out to its inputs."""
    node: int
    d_out: float
    received: tuple[Received, ...]   # empty for the output, which starts with d_out = 1
    sends: tuple[Send, ...]
    warning: str | None = None
    phase: ClassVar[Phase] = "backward"


Step = Union[ForwardStep, OrderStep, BackwardStep]


@dataclass
class State:
    """What is known after `index` steps (0: before the first). `step` is the one just taken."""
    index: int
    step: Step | None
    values: dict[int, float]                    # node values known so far
    passed: dict[tuple[int, int], float]        # (target, position) -> value sent forward
    visited: set[int] = field(default_factory=set)
    stack: list[int] = field(default_factory=list)
    order: list[int] = field(default_factory=list)
    grads: dict[int, float] = field(default_factory=dict)   # d_out accumulated so far
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
    local: Literal["symbolic", "numerical"]
    eps: float
    values: tuple[float, ...]        # every node's value
    grads: tuple[float, ...]         # every node's d output / d node (0 where not needed)
    order: tuple[int, ...]           # the topological order: inputs first, output last
    steps: tuple[Step, ...]
    warnings: tuple[tuple[int, str], ...]  # (node, message) where nan/inf first appeared

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


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _call_text(node: Node, inputs: tuple[float, ...]) -> str:
    if len(inputs) == 2:
        return f"{_fmt(inputs[0])} {node.symbol} {_fmt(inputs[1])}"
    return f"{node.label}({_fmt(inputs[0])})"


def _not_finite(v: float) -> str:
    return "nan (not a number)" if np.isnan(v) else ("inf" if v > 0 else "−inf")


def _numerical_local(op: Op, args: list[float], position: int, eps: float):
    plus, minus = list(args), list(args)
    plus[position] += eps
    minus[position] -= eps
    f_plus, f_minus = float(op.forward(*plus)), float(op.forward(*minus))
    return (f_plus - f_minus) / (2 * eps), (f_plus, f_minus)


def build_trace(graph: Graph, inputs: Mapping[str, object], *, local: str = "symbolic",
                eps: float = 1e-4) -> Trace:
    if local not in ("symbolic", "numerical"):
        raise ValueError(f"local must be 'symbolic' or 'numerical', not {local!r}")
    if not (isinstance(eps, (int, float)) and np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive number, not {eps!r}")
    for name, v in inputs.items():
        if np.ndim(v) != 0:
            raise ValueError(f"a trace needs one number per variable; {name} is an array")
    values = [float(v) for v in graph.forward(inputs)]
    nodes = graph.nodes
    steps: list[Step] = []
    warnings: dict[int, str] = {}

    # 1. Forward, in node order: every input was created, and so computed, before its user.
    for node in nodes:
        if node.kind != "operation":
            if not np.isfinite(values[node.id]):
                warnings[node.id] = f"{node.label} = {_not_finite(values[node.id])} at node " \
                                    f"{node.id + 1}"
            continue
        args = tuple(values[a] for a in node.args)
        warning = None
        if not np.isfinite(values[node.id]) and all(np.isfinite(args)):
            op = OPS[node.label]
            warning = (f"{_call_text(node, args)} = {_not_finite(values[node.id])} at node "
                       f"{node.id + 1}" + (f": {op.domain}" if op.domain else ""))
            warnings[node.id] = warning
        steps.append(ForwardStep(node.id, args, values[node.id], warning))

    # 2. Topological order, by the same depth-first search `topological_order` uses.
    order: list[int] = []
    for action, node_id, via in graph.depth_first_search():
        position = None
        if action == "finish":
            position = len(order)
            order.append(node_id)
        steps.append(OrderStep(node_id, action, via, position))

    # 3. Backward along the order reversed: each node fires once all its users have sent.
    grads = [0.0] * len(nodes)
    grads[graph.output] = 1.0
    received: list[list[Received]] = [[] for _ in nodes]
    needs = graph.needs_gradient
    with np.errstate(all="ignore"):
        for node_id in reversed(order):
            node = nodes[node_id]
            if not needs[node_id]:
                continue
            d_out = grads[node_id]
            sends: list[Send] = []
            warning = None
            if node.kind == "operation":
                op = OPS[node.label]
                args = [values[a] for a in node.args]
                for position, a in enumerate(node.args):
                    if not needs[a]:
                        continue
                    numerical = None
                    if local == "symbolic":
                        local_value = float(op.local_derivatives[position](*args))
                    else:
                        local_value, numerical = _numerical_local(op, args, position, eps)
                    contribution = d_out * local_value
                    grads[a] = grads[a] + contribution
                    received[a].append(Received(node_id, position, contribution))
                    sends.append(Send(a, position, local_value, contribution, grads[a],
                                      numerical))
                    if not np.isfinite(local_value) and np.isfinite(d_out) \
                            and all(np.isfinite(args)) and warning is None:
                        warning = (f"the local derivative of {node.symbol} at node "
                                   f"{node_id + 1} is {_not_finite(local_value)} at "
                                   f"{_call_text(node, tuple(args))}")
                        warnings.setdefault(node_id, warning)
            steps.append(BackwardStep(node_id, d_out, tuple(received[node_id]), tuple(sends),
                                      warning))

    return Trace(graph=graph, inputs={k: float(v) for k, v in inputs.items()}, local=local,
                 eps=float(eps), values=tuple(values), grads=tuple(float(g) for g in grads),
                 order=tuple(order), steps=tuple(steps),
                 warnings=tuple(sorted(warnings.items())))
