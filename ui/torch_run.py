"""The engine's graph built with PyTorch's own operations, where PyTorch is installed.

The tensors are made from `engine.pytorch.program`, the same construction the generated code
writes out, so no text is ever run: each line's operation is looked up and applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine import Graph
from engine.pytorch import Program


@dataclass(frozen=True)
class TorchResult:
    version: str
    value: float
    grads: dict[str, float | None]  # each variable's .grad after backward()
    grad_fns: dict[int, str]  # each box's tensor's grad_fn name ("" for none)
    next_functions: dict[int, tuple[str | None, ...]]  # the names in each grad_fn's inputs


def available() -> str | None:
    """PyTorch's version, or None where it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return str(torch.__version__)


def _attribute(torch: Any, spelling: str) -> Any:
    """PyTorch's function for a spelling of the table: torch.log, torch.nn.functional.softplus."""
    found = torch
    for part in spelling.split(".")[1:]:
        found = getattr(found, part)
    return found


def run(graph: Graph, values: dict[str, float], built: Program) -> TorchResult:
    """Build the graph with torch at the point, call backward(), and read what autograd made."""
    import torch

    dtype = torch.float64
    operations = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "pow": lambda a, b: a**b,
        "neg": lambda z: -z,
    }
    tensors: dict[int, Any] = {}
    for node in graph.nodes:
        if node.kind == "variable":
            tensors[node.id] = torch.tensor(
                float(values[node.label]), dtype=dtype, requires_grad=True
            )
        elif node.kind == "constant":
            tensors[node.id] = torch.tensor(float(node.value or 0.0), dtype=dtype)
    for line in built.lines:
        args = [
            tensors[o.node]
            if o.kind == "tensor"
            else o.value
            if o.kind == "number"
            else torch.tensor(o.value, dtype=dtype)
            for o in line.operands
        ]
        op = graph.nodes[line.node].op
        if op is None:
            raise ValueError(f"node {line.node} is not an operation")
        function: Any = operations.get(op.name) or _attribute(torch, op.torch)
        tensors[line.node] = function(*args)
    output = tensors[graph.output]
    if output.requires_grad:
        output.backward()

    def name(fn) -> str:
        # type(fn).__name__ is AccumulateGrad where fn.name() says torch::autograd::AccumulateGrad
        return "" if fn is None else type(fn).__name__

    grads = {}
    for node in graph.nodes:
        if node.kind == "variable":
            grad = tensors[node.id].grad
            grads[node.label] = None if grad is None else float(grad)
    return TorchResult(
        torch.__version__,
        float(output.detach()),
        grads,
        {line.node: name(tensors[line.node].grad_fn) for line in built.lines},
        {
            line.node: tuple(
                name(f) if f is not None else None
                for f, _ in tensors[line.node].grad_fn.next_functions
            )
            for line in built.lines
            if tensors[line.node].grad_fn is not None
        },
    )
