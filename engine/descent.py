"""Gradient descent on a typed loss: each step as data, and a training run that knows when and
why it stopped.

A step is what the lesson shows: the parameters before, the loss there, the gradient from one
backward pass, and each parameter's update p ← p − lr · ∂L/∂p with its numbers. Every
number comes from the engine (`Graph.evaluate` and `Graph.gradient`); the loops are plain and
bounded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from .explain import number_text, who
from .graph import Graph

#: How many steps a run may take at most (a link or the Train button asks for at most this).
MAX_STEPS = 2000


@dataclass(frozen=True)
class Update:
    """p ← p − lr · ∂L/∂p for one parameter."""

    name: str
    before: float
    gradient: float
    lr: float
    after: float

    def text(self, loss: str = "L") -> str:
        """w ← w − lr · ∂L/∂w = 0.5 − 0.1 · (−0.21) = 0.521"""
        g = number_text(self.gradient)
        g = f"({g})" if g.startswith("−") else g
        return (
            f"{self.name} ← {self.name} − lr · ∂{loss}/∂{self.name} = "
            f"{number_text(self.before)} − {number_text(self.lr)} · {g} = "
            f"{number_text(self.after)}"
        )


@dataclass(frozen=True)
class Step:
    """One gradient step: from `before` (where the loss is `loss`) to `after`."""

    number: int  # 1 for the first step
    before: dict[str, float]
    loss: float
    gradient: dict[str, float]
    lr: float
    after: dict[str, float]
    loss_after: float

    @property
    def updates(self) -> tuple[Update, ...]:
        return tuple(
            Update(p, self.before[p], self.gradient[p], self.lr, self.after[p]) for p in self.before
        )

    @property
    def grew(self) -> bool:
        return self.loss_after > self.loss


@dataclass(frozen=True)
class Stop:
    """Why a run ended before taking every step asked for."""

    kind: Literal["not finite", "gradient not finite", "parameter not finite"]
    step: int  # the number of steps taken before it stopped
    message: str


@dataclass(frozen=True)
class Run:
    start: dict[str, float]
    start_loss: float
    lr: float
    steps: tuple[Step, ...]
    stop: Stop | None  # None: every step asked for was taken

    @property
    def losses(self) -> list[float]:
        """The loss at the start and after each step."""
        return [self.start_loss] + [s.loss_after for s in self.steps]

    @property
    def path(self) -> list[dict[str, float]]:
        """The parameters at the start and after each step."""
        return [dict(self.start)] + [s.after for s in self.steps]

    @property
    def current(self) -> dict[str, float]:
        return self.path[-1]

    def growing(self, window: int = 3) -> bool:
        """The loss grew over the last `window` steps, or in the last step while it was
        large: what too large a learning rate does."""
        losses = self.losses
        if len(losses) < 2:
            return False
        recent = losses[-window - 1 :]
        return all(b > a for a, b in pairwise(recent)) or (
            losses[-1] > losses[0] and losses[-1] > losses[-2]
        )


def loss_at(graph: Graph, params: dict[str, float]) -> float:
    return float(graph.evaluate(params))


def gradient_step(graph: Graph, params: dict[str, float], lr: float, number: int = 1) -> Step:
    """One step of gradient descent: a forward and a backward pass, then the update."""
    return _step(graph, params, lr, number, None)[0]


def _step(
    graph: Graph, params: dict[str, float], lr: float, number: int, values: list | None
) -> tuple[Step, list | None]:
    """The step, and the forward pass at the point it leads to, which is the next step's: a
    run does one forward and one backward pass per step (`values`: this point's forward)."""
    if values is None:
        values = graph.forward(graph.inputs(params))
    grads = graph.backward(values)
    gradient = dict.fromkeys(params, 0.0)
    for node_id, name in graph._variable_nodes:  # with merge=False, one node per use
        gradient[name] = float(gradient[name] + grads[node_id])
    after = {p: params[p] - lr * gradient[p] for p in params}
    following = (
        graph.forward(graph.inputs(after))
        if all(math.isfinite(v) for v in after.values())
        else None
    )
    loss_after = float(following[graph.output]) if following is not None else math.nan
    step = Step(number, dict(params), float(values[graph.output]), gradient, lr, after, loss_after)
    return step, following


def train(
    graph: Graph, start: dict[str, float], lr: float, steps: int, previous: Run | None = None
) -> Run:
    """Up to `steps` gradient steps from `start`; stops at the first nan or inf, and says why.

    A step is taken only from a point where the loss and its gradient are finite numbers; the
    step that leaves it with an infinite parameter or loss is kept, so the run shows where it
    went, and then it stops. With `previous`, a run from the same start at the same rate, its
    steps are reused: training one more step costs one step, not all of them again.
    """
    start = {p: float(v) for p, v in start.items()}
    steps = min(steps, MAX_STEPS)
    stop: Stop | None = None
    if previous is not None and (previous.start, previous.lr) == (start, lr):
        if len(previous.steps) >= steps or previous.stop is not None:
            kept = previous.steps[:steps]
            stop = previous.stop if len(kept) == len(previous.steps) else None
            return Run(start, previous.start_loss, lr, kept, stop)
    else:
        previous = None
    taken: list[Step] = list(previous.steps) if previous else []
    params = dict(previous.current) if previous else dict(start)
    values: list | None = None
    for k in range(len(taken), steps):
        loss = taken[-1].loss_after if taken else loss_at(graph, params)
        if not math.isfinite(loss):
            stop = Stop("not finite", k, _stopped(k, f"the loss is {number_text(loss)}"))
            break
        step, values = _step(graph, params, lr, k + 1, values)
        bad = [p for p, g in step.gradient.items() if not math.isfinite(g)]
        if bad:
            stop = Stop(
                "gradient not finite",
                k,
                _stopped(k, f"∂L/∂{bad[0]} is {number_text(step.gradient[bad[0]])}"),
            )
            break
        taken.append(step)
        params = step.after
        lost = [p for p, v in params.items() if not math.isfinite(v)]
        if lost:
            stop = Stop(
                "parameter not finite",
                k + 1,
                _stopped(k + 1, f"{lost[0]} became {number_text(params[lost[0]])}"),
            )
            break
        if not math.isfinite(step.loss_after):
            stop = Stop(
                "not finite",
                k + 1,
                _stopped(
                    k + 1, f"the loss became {number_text(step.loss_after)}" + _where(graph, values)
                ),
            )
            break
    start_loss = previous.start_loss if previous else loss_at(graph, start)
    return Run(start, start_loss, lr, tuple(taken), stop)


def _where(graph: Graph, values: list | None) -> str:
    """Why the first operation whose value is not a number has none: its domain."""
    if values is None:
        return ""
    for node in graph.nodes:
        if node.op is not None and node.op.domain and not math.isfinite(float(values[node.id])):
            why = node.op.domain_at(*(float(values[a]) for a in node.args))
            return f" ({why} at {who(graph, node.id)})"
    return ""


def _stopped(k: int, what: str) -> str:
    return (
        f"Training stopped after {k} step{'s' if k != 1 else ''}: {what}, so there is no "
        "gradient to follow. A smaller learning rate, or other starting values, keep the "
        "parameters where the loss is defined."
    )
