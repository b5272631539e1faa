"""The computation graph: nodes, topological order, forward and reverse mode.

Every loop here is iterative and visits each node and edge a bounded number of times, so a chain
of 100,000 nested operations evaluates and differentiates in linear time, with no recursion.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, NamedTuple

import numpy as np

from .numeric import central_difference
from .ops import OPS, Number, Op, variable_symbol
from .trace import Trace, build_trace

Values = Mapping[str, Number]
Function = Callable[..., Number]  # an op's forward or one of its local derivatives


@dataclass(frozen=True)
class Node:
    id: int  # index in `Graph.nodes`; links name it as id + 1, students see `Graph.numbers`
    kind: Literal["variable", "constant", "operation"]
    label: str  # x, 2, π, or the operation's name
    args: tuple[int, ...] = ()  # input node ids, one per argument position
    value: float | None = None  # constants only
    # Operations only: each argument's value where it is a constant, None where it is not.
    constants: tuple[float | None, ...] = ()

    @property
    def op(self) -> Op | None:
        return OPS[self.label] if self.kind == "operation" else None

    # Worked out once per node (drawing a large graph asks 100,000 times): a cached property
    # writes the instance's __dict__ directly, so the node stays frozen.
    @cached_property
    def input_positions(self) -> tuple[int, ...]:
        """The argument positions that are inputs of the box: all of them, except those its
        named form fixes (a square, pow with the constant exponent 2, has one input, x). The
        computation still reads every argument, so values and gradients do not change."""
        if self.kind != "operation":
            return ()
        form = OPS[self.label].named_form(self.constants) if self.constants else None
        if form is None:
            return tuple(range(len(self.args)))
        return tuple(p for p, fixed in enumerate(form.constants) if fixed is None)

    @cached_property
    def inputs(self) -> tuple[int, ...]:
        """The input nodes of the box, one per position in `input_positions`."""
        return tuple(self.args[p] for p in self.input_positions)

    @cached_property
    def symbol(self) -> str:
        """What the diagram's box shows: ×, log, square (a power with the constant exponent 2),
        2, π, or the variable with Greek as letters."""
        if self.kind == "operation":
            return OPS[self.label].symbol_for(self.constants)
        return variable_symbol(self.label) if self.kind == "variable" else self.label


@dataclass(frozen=True)
class Edge:
    source: int  # the input node
    target: int  # the operation that uses it
    position: int  # which argument of the target: x*x has two edges, positions 0 and 1


Search = Literal["enter", "finish", "skip"]  # a move of the depth-first search


class Visit(NamedTuple):
    """A node's turn in the backward walk: where its d_out goes."""

    node: int
    # (argument position, input node) for each input that needs a gradient, in argument order;
    # x*x sends to x twice, at positions 0 and 1. Empty for a variable.
    sends: tuple[tuple[int, int], ...]


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a large graph or trace is built.

    Building allocates many small objects that all stay alive, and the collector would scan them
    again and again as they pile up: a 100,000-node trace spent more time there than building.
    They hold no reference cycles, so nothing is left for the collector to find; it runs as
    usual afterwards. If another thread paused it first, that thread turns it back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class TooLarge(Exception):
    def __init__(self, position: int):
        self.position = position


class GraphBuilder:
    """Creates nodes in an order where every input exists before its user (a topological order).

    With `merge`, identical subexpressions become one node (hash-consing), which gives the DAG.
    """

    def __init__(self, merge: bool = True, max_nodes: int = 10**9):
        self.merge, self.max_nodes = merge, max_nodes
        self.nodes: list[Node] = []
        self.variables: list[str] = []
        self.seen: dict[tuple, int] = {}
        self.variable_ids: dict[str, int] = {}

    def _add(self, key: tuple, node_args: dict, position: int) -> int:
        if self.merge and key in self.seen:
            return self.seen[key]
        if len(self.nodes) >= self.max_nodes:
            raise TooLarge(position)
        node = Node(id=len(self.nodes), **node_args)
        self.nodes.append(node)
        self.seen[key] = node.id
        return node.id

    def variable(self, name: str, position: int = 0) -> int:
        if name not in self.variables:
            self.variables.append(name)
        # A variable is one value however often it is used, so it is always one node; with
        # merge=False each use is drawn as its own box, but all boxes of x share x's gradient.
        key = ("variable", name) if self.merge else ("variable", name, len(self.nodes))
        return self._add(key, {"kind": "variable", "label": name}, position)

    def constant(self, value: float, label: str, position: int = 0) -> int:
        key = ("constant", value) if self.merge else ("constant", value, len(self.nodes))
        return self._add(key, {"kind": "constant", "label": label, "value": value}, position)

    def operation(self, name: str, args: tuple[int, ...], position: int = 0) -> int:
        key = (name, args) if self.merge else (name, args, len(self.nodes))
        constants = tuple(self.nodes[a].value for a in args)  # None where not a constant
        return self._add(
            key,
            {"kind": "operation", "label": name, "args": args, "constants": constants},
            position,
        )

    def finish(self, output: int, text: str = "") -> Graph:
        return Graph(tuple(self.nodes), output, tuple(self.variables), text)


def _as_number(name: str, value: object) -> Number:
    if type(value) is float:  # the common case, without building an array
        return np.float64(value)
    if isinstance(value, (bool, str, bytes)) or value is None:
        raise ValueError(
            f"the value of {name} must be a number or a NumPy array, not {type(value).__name__}"
        )
    try:
        array = np.asarray(value, dtype=float)
    except OverflowError:
        raise ValueError(
            f"the value of {name} is too large for a float (the largest is about 1.8e308)"
        ) from None
    except (TypeError, ValueError):
        raise ValueError(
            f"the value of {name} must be a number or a NumPy array, not {type(value).__name__}"
        ) from None
    return np.float64(array) if array.ndim == 0 else array


@dataclass(frozen=True)
class VariablesWording:
    """How a caller words a mismatch between a function's variables and the values given.

    Fields are format strings: {missing} and {extra} are the names joined by ", ", {example}
    every variable as `example_item` joined by `example_separator`, {function} the function's
    text and {known} its variables.
    """

    missing: str = "missing a value for {missing}: pass every variable, e.g. ({example})"
    extra: str = "{extra} is not a variable of {function}; its variables are: {known}"
    example_item: str = "{}=1.0"
    example_separator: str = ", "
    no_variables: str = "none (it is a constant)"


class Graph:
    """A function's computation graph. Build one with `engine.parse`."""

    #: How `parse` read the parts of the text that people read differently, as sentences:
    #: "1/2x is read as (1/2)·x". Empty for a graph not built from text.
    reading_notes: tuple[str, ...] = ()

    def __init__(
        self, nodes: tuple[Node, ...], output: int, variables: tuple[str, ...], text: str = ""
    ):
        self.nodes = nodes
        self.output = output
        self.variables = variables  # in order of first appearance
        self.text = text
        # Which nodes depend on a variable: only those need a gradient (not 2 in 2x, not 2*3).
        needs = [False] * len(nodes)
        for node in nodes:
            needs[node.id] = node.kind == "variable" or any(needs[a] for a in node.args)
        self.needs_gradient = tuple(needs)

    def __repr__(self) -> str:
        return f"<Graph {self.to_text()!r}: {len(self.nodes)} nodes>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Graph) and (self.nodes, self.output) == (other.nodes, other.output)

    def __hash__(self) -> int:
        return hash((self.nodes, self.output))

    def __getstate__(self) -> dict:
        # The plans cached on first use (names starting with _) hold the ops' functions, some
        # of them lambdas that pickle cannot name; a copy rebuilds them when it needs them.
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    @cached_property
    def edges(self) -> tuple[Edge, ...]:
        """One edge per input of each box: a position fixed by a named form (the 2 of a
        square) is not an edge."""
        return tuple(
            Edge(node.args[position], node.id, position)
            for node in self.nodes
            for position in node.input_positions
        )

    @cached_property
    def drawn(self) -> tuple[bool, ...]:
        """For each node, whether the diagram draws it: the output and every node that is an
        input of a box; a constant only ever used as a fixed argument (the 2 of x²) is not."""
        shown = [False] * len(self.nodes)
        shown[self.output] = True
        for node in self.nodes:
            for a in node.inputs:
                shown[a] = True
        return tuple(shown)

    @cached_property
    def numbers(self) -> tuple[int, ...]:
        """For each node, the number it is shown with (v₂ is number 2): the drawn nodes
        counted 1, 2, 3, … in node order, so the numbers on the diagram have no gaps. In
        sin(x²), x is 1, the square v₂ and sin v₃; the 2 the square fixes is not drawn and
        takes no number (0). Every name a student reads (explanations, diagram, slides, the
        CLI, the PyTorch program) comes from here; node ids, and the node numbers links hold
        (id + 1), stay as they are."""
        numbers, count = [0] * len(self.nodes), 0
        for node_id, shown in enumerate(self.drawn):
            if shown:
                count += 1
                numbers[node_id] = count
        return tuple(numbers)

    def consumers(self) -> list[list[tuple[int, int]]]:
        """For each node, the (user, argument position) pairs that read it: its fan-out."""
        return [list(users) for users in self._users]

    def users_of(self, node_id: int) -> tuple[tuple[int, int], ...]:
        """The (user, argument position) pairs that read one node, in node order: as
        `consumers()[node_id]`, without building the lists of every node."""
        return self._users[node_id]

    @cached_property
    def _users(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        users: list[list[tuple[int, int]]] = [[] for _ in self.nodes]
        for node in self.nodes:
            for position in node.input_positions:
                users[node.args[position]].append((node.id, position))
        return tuple(tuple(u) for u in users)

    # -- order --------------------------------------------------------------------------------
    def topological_order(self) -> list[int]:
        """Depth-first search from the output; a node is appended once all its inputs are.

        Iterative, with an explicit stack of (node, next argument to visit), so a graph of any
        depth is sorted without recursion. `trace` shows the same search step by step.
        """
        return list(self._order)

    @cached_property
    def _order(self) -> tuple[int, ...]:
        # A graph never changes, so one search serves every gradient.
        return tuple(node for action, node, _ in self.depth_first_search() if action == "finish")

    def depth_first_search(self) -> Iterator[tuple[Search, int, int | None]]:
        """Yield ('enter' | 'finish' | 'skip', node, via) as the search from the output runs.

        'skip' is an edge to a node already entered: the fan-out the order has to respect.
        Only a box's inputs are searched: the 2 of a square is not, as it is not an input.
        """
        visited = [False] * len(self.nodes)
        stack: list[tuple[int, int]] = [(self.output, 0)]
        visited[self.output] = True
        yield "enter", self.output, None
        while stack:
            node, next_arg = stack[-1]
            args = self.nodes[node].inputs
            if next_arg < len(args):
                stack[-1] = (node, next_arg + 1)
                child = args[next_arg]
                if visited[child]:
                    yield "skip", child, node
                else:
                    visited[child] = True
                    stack.append((child, 0))
                    yield "enter", child, node
            else:
                stack.pop()
                yield "finish", node, stack[-1][0] if stack else None

    def backward_walk(self, order: Sequence[int] | None = None) -> tuple[Visit, ...]:
        """The walk of reverse mode: each node that needs a gradient, with the inputs it sends
        its d_out to, in reversed topological order (the output first, so every node comes
        after all its users), or in `order` where one is given (nodes that need no gradient
        are passed over). `backward`, the trace and the orders a student tries all walk this.

        One pass over the nodes and their arguments: linear, no recursion.
        """
        if order is None:
            return self._walk
        return self._visits(order)

    @cached_property
    def _walk(self) -> tuple[Visit, ...]:
        return self._visits(reversed(self._order))

    def _visits(self, order: Iterable[int]) -> tuple[Visit, ...]:
        needs, nodes = self.needs_gradient, self.nodes
        return tuple(
            Visit(n, tuple((p, a) for p, a in enumerate(nodes[n].args) if needs[a]))
            for n in order
            if needs[n]
        )

    # -- forward and reverse mode -------------------------------------------------------------
    def variables_problem(
        self, given: Mapping[str, object], wording: VariablesWording = VariablesWording()
    ) -> str | None:
        """What is wrong with the names given, in the caller's words: a missing variable
        first, then a name that is not a variable; None when they are exactly the variables."""
        missing = [v for v in self.variables if v not in given]
        if missing:
            example = wording.example_separator.join(
                wording.example_item.format(v) for v in self.variables
            )
            return wording.missing.format(missing=", ".join(missing), example=example)
        extra = [v for v in given if v not in self.variables]
        if extra:
            known = ", ".join(self.variables) or wording.no_variables
            return wording.extra.format(
                extra=", ".join(map(str, extra)), known=known, function=self.text or "this function"
            )
        return None

    def inputs(self, values: Values | None = None, **more: Number) -> dict[str, Number]:
        """Check that exactly this graph's variables have values; return them as NumPy numbers."""
        given = {**(values or {}), **more}
        problem = self.variables_problem(given)
        if problem:
            raise ValueError(problem)
        return {v: _as_number(v, given[v]) for v in self.variables}

    def leaves_of_variables(self) -> dict[str, tuple[int, ...]]:
        """Each variable's nodes: one in the graph, one per use in the tree (merge=False)."""
        result: dict[str, list[int]] = {v: [] for v in self.variables}
        for node_id, name in self._variable_nodes:
            result[name].append(node_id)
        return {v: tuple(ids) for v, ids in result.items()}

    def forward(self, inputs: Mapping[str, Number]) -> list[Number]:
        """The value of every node, in node order (inputs come before their users)."""
        values: list[Number] = list(self._leaf_values)
        for node_id, name in self._variable_nodes:
            values[node_id] = inputs[name]
        with np.errstate(all="ignore"):
            for node_id, forward, args in self._forward_plan:
                values[node_id] = forward(*[values[a] for a in args])
        return values

    def backward(self, values: list[Number]) -> list[Number]:
        """Reverse mode: d output / d node for every node, walking the topological order back.

        Each argument position gets its own contribution, d_out · local derivative, and the
        contributions add up where a value fans out. An operation with no finite value has no
        derivative: it sends nan, whatever its formulas would give (log at −1 is undefined,
        not a function of slope −1). The trace does the same, step by step.
        """
        grads: list[Number] = [0.0] * len(self.nodes)
        grads[self.output] = 1.0
        with np.errstate(all="ignore"):
            for node_id, args, sends in self._backward_plan:
                d_out = grads[node_id]
                arg_values = [values[a] for a in args]
                value = values[node_id]
                if isinstance(value, float):  # a NumPy float is one
                    if value - value == 0:  # finite
                        for a, local in sends:
                            grads[a] = grads[a] + d_out * local(*arg_values)
                    else:
                        for a, _ in sends:
                            grads[a] = grads[a] + np.nan
                else:
                    defined = np.isfinite(value)
                    for a, local in sends:
                        grads[a] = grads[a] + np.where(defined, d_out * local(*arg_values), np.nan)
        return grads

    # A graph never changes, so what evaluation and reverse mode look up per node is worked out
    # once, on first use: the same steps as above without a dictionary lookup in every pass.
    @cached_property
    def _leaf_values(self) -> tuple[Number, ...]:
        """Every constant's value in place; 0.0 for the other nodes until they are computed."""
        return tuple(np.float64(n.value) if n.kind == "constant" else 0.0 for n in self.nodes)

    @cached_property
    def _variable_nodes(self) -> tuple[tuple[int, str], ...]:
        return tuple((n.id, n.label) for n in self.nodes if n.kind == "variable")

    @cached_property
    def _forward_plan(self) -> tuple[tuple[int, Function, tuple[int, ...]], ...]:
        """(node, forward function, inputs) for every operation, in node order."""
        return tuple(
            (n.id, OPS[n.label].forward, n.args) for n in self.nodes if n.kind == "operation"
        )

    @cached_property
    def _backward_plan(
        self,
    ) -> tuple[tuple[int, tuple[int, ...], tuple[tuple[int, Function], ...]], ...]:
        """(node, inputs, [(input, local derivative)]) for every operation of the backward
        walk: the walk with each edge's local derivative looked up once."""
        plan = []
        for node_id, sends in self.backward_walk():
            node = self.nodes[node_id]
            if node.kind == "operation":
                local = OPS[node.label].local_derivatives
                plan.append((node_id, node.args, tuple((a, local[p]) for p, a in sends)))
        return tuple(plan)

    def _shape(self, inputs: Mapping[str, Number]) -> tuple[int, ...]:
        # Scalars are NumPy floats (see `inputs`), so only arrays have a shape to broadcast.
        shapes = [v.shape for v in inputs.values() if isinstance(v, np.ndarray)]
        return np.broadcast_shapes(*shapes) if shapes else ()

    def _result(self, value: Number, shape: tuple[int, ...]) -> Number:
        return float(value) if shape == () else np.broadcast_to(value, shape).astype(float)

    def evaluate(self, values: Values | None = None, **more: Number) -> Number:
        """f at the given point: a float, or an array where any value is an array."""
        inputs = self.inputs(values, **more)
        return self._result(self.forward(inputs)[self.output], self._shape(inputs))

    def gradient(self, values: Values | None = None, **more: Number) -> dict[str, Number]:
        """The partial derivative with respect to each variable, by reverse mode."""
        inputs = self.inputs(values, **more)
        grads = self.backward(self.forward(inputs))
        shape = self._shape(inputs)
        by_name: dict[str, Number] = {v: 0.0 for v in self.variables}
        for node_id, name in self._variable_nodes:  # with merge=False, one node per use
            by_name[name] = by_name[name] + grads[node_id]
        return {v: self._result(g, shape) for v, g in by_name.items()}

    def numerical_gradient(
        self, values: Values | None = None, *, eps: float = 1e-4, **more: Number
    ) -> dict[str, Number]:
        """Each partial derivative by central difference on the whole function."""
        inputs = self.inputs(values, **more)

        def along(name: str):
            return lambda t: self.evaluate({**inputs, name: t})

        return {v: central_difference(along(v), inputs[v], eps) for v in self.variables}

    def trace(
        self,
        values: Values | None = None,
        *,
        local: str | Mapping[int, str] = "symbolic",
        eps: float = 1e-4,
        **more: Number,
    ) -> Trace:
        """The whole lesson as data: forward, topological order, backward, step by step."""
        inputs = self.inputs(values, **more)
        with cycle_collector_paused():
            return build_trace(self, inputs, local=local, eps=eps)

    # -- text ---------------------------------------------------------------------------------
    def node_text(self, node_id: int) -> str:
        """A short name for a node in explanations: x, 2, or its operation and number."""
        node = self.nodes[node_id]
        if node.kind != "operation":
            return node.label
        return f"{node.symbol} (node {self.numbers[node_id]})"

    def to_text(self) -> str:
        """The function as text that `parse` reads back into the same graph.

        Fully parenthesised and with explicit `*`; built with an explicit stack, so any depth
        works. Shared nodes are written out at each use (parsing merges them again).
        """
        parts: list[str] = []
        stack: list[str | int] = [self.output]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                parts.append(item)
                continue
            node = self.nodes[item]
            if node.kind == "variable":
                parts.append(node.label)
            elif node.kind == "constant":
                parts.append(node.label)  # as typed (2, 2.50, 1e-3, π): it parses back the same
            elif OPS[node.label].spellings and len(node.args) == 2:  # an operator: a + b
                a, b = node.args
                stack.extend([")", b, f" {OPS[node.label].spellings[0]} ", a, "("])
            elif OPS[node.label].spellings:  # a prefix operator: -a
                stack.extend([")", node.args[0], f"({OPS[node.label].spellings[0]}"])
            else:
                stack.extend([")", node.args[0], f"{node.label}("])
        return "".join(parts)
