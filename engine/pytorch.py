"""The same graph in PyTorch: the code that builds it, and the autograd node behind each box.

Everything here is read from the graph and from each operation's entry in `ops.OPS` (its
`torch` spelling and its `autograd` node name); nothing needs PyTorch installed. The code is
plain PyTorch a student can paste into Python, and `program` gives the same construction as
data, so a caller with PyTorch can build the tensors directly instead of running text.

How the engine's boxes map to PyTorch's nodes:

- a variable is a leaf tensor with `requires_grad=True`; autograd puts an `AccumulateGrad` node
  behind it, which adds every gradient that arrives into `x.grad` (accumulation at fan-out);
- an operation is one `<Op>Backward0` node, whose `next_functions` lead to its inputs' nodes;
- a constant is a plain number (or a tensor without `requires_grad`): it has no node, and
  `next_functions` holds `None` in its place;
- a power with a number as exponent (`x ** 2`) is `PowBackward0`; with a tensor as exponent
  (`x ** y`, `2 ** x` written as a tensor) it is `PowBackward1`, the overload for two tensors.
"""

from __future__ import annotations

import keyword
import math
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np

from .format import number_text
from .graph import Graph
from .ops import OPS, PREFIX, Op

ACCUMULATE = "AccumulateGrad"
#: PyTorch's overload of pow for a tensor exponent (PowBackward0 is the one for a number).
POW_TENSOR_EXPONENT = "PowBackward1"
#: Past this length an expression gets a line of its own.
LINE_LENGTH = 60
# For parentheses: a call or a name binds tightest; an operator as its entry in `ops.OPS` says,
# which ranks them as Python does (** above unary - above * / above + -).
_ATOM = 1000


def _precedence(op: Op) -> int:
    return op.precedence if op.spellings else _ATOM


def _negative_number() -> int:
    """How tightly a negative number binds: as the minus before it."""
    return _precedence(OPS[PREFIX["-"]])


@dataclass(frozen=True)
class Operand:
    """One argument of an operation as the code writes it."""

    kind: Literal["tensor", "number", "constant tensor"]
    node: int  # the engine's node
    value: float = 0.0  # for a number or a constant tensor


@dataclass(frozen=True)
class Line:
    """One operation: node = torch(operands), with PyTorch's name for the node it records."""

    node: int
    op: str  # the engine's operation
    operands: tuple[Operand, ...]
    grad_fn: str  # "" where no input needs a gradient: PyTorch records no node
    next_functions: tuple[int | None, ...]  # the inputs' nodes in PyTorch's order; None: none


@dataclass(frozen=True)
class Program:
    """The graph as PyTorch builds it, with the code as text."""

    graph: Graph
    names: dict[int, str]  # the Python name of each variable and each named intermediate
    output: str  # the name of the output
    lines: tuple[Line, ...]  # every operation, in the order the code computes them
    code: str

    def grad_fn(self, node: int) -> str:
        """PyTorch's node for a box: AccumulateGrad at a variable, "" at a constant."""
        kind = self.graph.nodes[node].kind
        if kind == "variable":
            return ACCUMULATE
        if kind == "constant":
            return ""
        return self._by_node[node].grad_fn

    def next_functions(self, node: int) -> tuple[int | None, ...]:
        return (
            () if self.graph.nodes[node].kind != "operation" else self._by_node[node].next_functions
        )

    @property
    def _by_node(self) -> dict[int, Line]:
        return {line.node: line for line in self.lines}


def python_name(name: str, taken: set[str]) -> str:
    """A variable's name as a Python identifier that shadows nothing the code uses."""
    base = name if name.isidentifier() else "v_" + "".join(c if c.isalnum() else "_" for c in name)
    while keyword.iskeyword(base) or base in taken or base in ("torch", "print"):
        base += "_"
    return base


def number_literal(value: float, whole: bool = False) -> str:
    """A float as Python reads it back; with `whole`, 2 rather than 2.0 (for x ** 2, not for
    torch.tensor, which makes an integer tensor of 2, and integers cannot require a gradient)."""
    if math.isnan(value) or math.isinf(value):
        return f"float({str(value)!r})"
    if whole and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def program(graph: Graph, values: dict[str, float] | None = None) -> Program:
    """The PyTorch code for a graph at a point (values default to 1.0).

    Nodes are visited in the graph's node order, where every input comes before its user, so
    no recursion is needed. An operation whose value is used more than once gets a line of its
    own (`v3 = x * y`), so PyTorch builds one node with fan-out, as the engine does.
    """
    values = values or {}
    nodes = graph.nodes
    needs = graph.needs_gradient
    uses = [len(users) for users in graph.consumers()]
    names: dict[int, str] = {}
    taken: set[str] = set()
    for node in nodes:
        if node.kind == "variable" and node.id not in names:
            names[node.id] = python_name(node.label, taken)
            taken.add(names[node.id])
    output = python_name("h", taken)
    taken.add(output)

    text: dict[int, tuple[str, int]] = {}  # node → (expression, its precedence)
    lines: list[Line] = []
    body: list[str] = []
    for node in nodes:
        if node.kind == "variable":
            text[node.id] = (names[node.id], _ATOM)
            continue
        if node.kind == "constant":
            continue  # written where it is used: a number or a tensor
        op = OPS[node.label]
        operands = tuple(
            _operand(graph, node.id, position, a) for position, a in enumerate(node.args)
        )
        parts = [_operand_text(o, text) for o in operands]
        precedence = _precedence(op)
        if op.arity == 1:
            if op.spellings:  # an operator before its operand: -x
                expression = op.torch + _wrap(parts[0], precedence, strict=False)
            else:
                expression = f"{op.torch}({parts[0][0]})"
        else:
            left = _wrap(parts[0], precedence, strict=op.right_associative)
            right = _wrap(parts[1], precedence, strict=not op.right_associative)
            expression = f"{left} {op.torch} {right}"
        reflected = operands[0].kind == "number"  # 2 * x runs as x.__rmul__(2)
        order = tuple(None if o.kind != "tensor" or not needs[o.node] else o.node for o in operands)
        grad_fn, inputs = "", cast(tuple[int | None, ...], ())
        if needs[node.id]:
            grad_fn, inputs = op.autograd, order[::-1] if reflected else order
            if op.name == "pow" and operands[1].kind == "number":
                inputs = inputs[:1]  # x ** 2: the number is part of the node, not an input
            elif op.name == "pow":
                grad_fn = POW_TENSOR_EXPONENT
        lines.append(Line(node.id, op.name, operands, grad_fn, inputs))
        if node.id == graph.output:
            text[node.id] = (expression, precedence)
        elif uses[node.id] > 1 or len(expression) > LINE_LENGTH:
            names[node.id] = python_name(f"v{graph.numbers[node.id]}", taken)
            taken.add(names[node.id])
            body.append(f"{names[node.id]} = {expression}")
            text[node.id] = (names[node.id], _ATOM)
        else:
            text[node.id] = (expression, precedence)

    out_node = nodes[graph.output]
    if out_node.kind == "constant":
        result = f"torch.tensor({number_literal(out_node.value or 0.0)})"
    else:
        result = text[graph.output][0]
    result_line = f"{output} = {result}"

    head = [
        "import torch",
        "",
        "torch.set_default_dtype(torch.float64)  # 64-bit, as the engine",
        "",
    ]
    for node in nodes:
        if node.kind == "variable":
            value = values.get(node.label, 1.0)
            head.append(
                f"{names[node.id]} = torch.tensor({number_literal(value)}, requires_grad=True)"
            )
    tail = [result_line, ""]
    if graph.variables and out_node.kind != "constant":
        tail += [
            f"{output}.backward()  # the backward pass",
            *[
                f'print("d{output}/d{names[n.id]} =", {names[n.id]}.grad)'
                for n in nodes
                if n.kind == "variable"
            ],
        ]
    else:
        tail.append(f"print({output})  # no variable, so nothing to differentiate")
    code = "\n".join(head + [""] + body + tail) + "\n"
    code = code.replace("\n\n\n", "\n\n")
    return Program(graph, names, output, tuple(lines), code)


def _operand(graph: Graph, node: int, position: int, arg: int) -> Operand:
    """How an argument is written: a tensor, a plain number, or a constant made a tensor.

    A constant is a plain number where Python hands the operation to the tensor beside it:
    as the right operand of any binary operation (x - 1, x ** 2), or as the left one of + and
    × with a tensor on the right (2 * x). Elsewhere (1 - x, log(2), 2 ** x) it is a tensor.
    """
    argument = graph.nodes[arg]
    if argument.kind != "constant":
        return Operand("tensor", arg)
    value = float(argument.value if argument.value is not None else 0.0)
    parent = graph.nodes[node]
    if len(parent.args) == 2:
        if position == 1:
            return Operand("number", arg, value)
        if parent.label in ("add", "mul") and graph.nodes[parent.args[1]].kind != "constant":
            return Operand("number", arg, value)
    return Operand("constant tensor", arg, value)


def _operand_text(operand: Operand, text: dict[int, tuple[str, int]]) -> tuple[str, int]:
    if operand.kind == "tensor":
        return text[operand.node]
    if operand.kind == "constant tensor":
        return f"torch.tensor({number_literal(operand.value)})", _ATOM
    literal = number_literal(operand.value, whole=True)
    return literal, (_negative_number() if literal.startswith("-") else _ATOM)


def _wrap(part: tuple[str, int], precedence: int, strict: bool) -> str:
    """Parenthesise an operand that binds looser than its operation (or as loose, on the side
    where Python would group the other way)."""
    expression, own = part
    if own < precedence or (strict and own == precedence):
        return f"({expression})"
    return expression


@dataclass(frozen=True)
class Convention:
    """A box at a point where its operation has a value but no derivative (`Op.kink`): relu,
    abs or sqrt at 0, a fractional power of 0. What the engine returns there is PyTorch's
    convention, as the op table's entry says."""

    node: int
    op: str
    at: str  # the argument at the point: 0
    returns: str  # the local derivative along that argument both give there: 0, inf
    why: str  # why there is no derivative (`Kink.why`)
    uses: str  # the value taken and why (`Kink.uses`)


def non_differentiable_points(graph: Graph, values: dict[str, float]) -> list[Convention]:
    """The boxes whose input is exactly at a point where PyTorch picks a convention, with what
    it returns there: every operation whose entry in `ops.OPS` has a kink at its arguments."""
    node_values = graph.forward(graph.inputs(values))
    found = []
    for node in graph.nodes:
        op = node.op
        if op is None or op.kink is None:
            continue
        args = [np.float64(node_values[a]) for a in node.args]
        if op.has_kink(*args):
            with np.errstate(all="ignore"):  # sqrt's is 1/(2·0): inf, which is the point
                local = float(op.local_derivatives[0](*args))
            found.append(
                Convention(
                    node.id,
                    op.name,
                    number_text(args[0]),
                    number_text(local),
                    op.kink.why,
                    op.kink.uses,
                )
            )
    return found
