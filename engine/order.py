"""Orders for the backward pass that a student can try: the operations to order, a full order
from the operations chosen, and the orders a search would give.

Variables only collect what arrives, so every order here ends with them; constants need no
gradient and take no part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .graph import Graph
from .trace import BackwardStep, Trace, breadth_first_order, first_visit_order

SEARCHES = ("first-visit", "breadth-first")


def operations(graph: Graph) -> list[int]:
    """The operations that take part in the backward pass (those on a path from a variable),
    in reversed topological order: the output first."""
    return [n for n, _ in graph.backward_walk() if graph.nodes[n].kind == "operation"]


def unplaced(graph: Graph, chosen: Sequence[int]) -> list[int]:
    """The operations `chosen` still leaves out, output first."""
    placed = set(chosen)
    return [n for n in operations(graph) if n not in placed]


def backward_order(graph: Graph, chosen: Sequence[int]) -> list[int]:
    """The backward order of `chosen` (every operation once, in the order they fire), then the
    variables. Raises ValueError when `chosen` is not every operation exactly once: an order
    with gaps is not an order, and no operation is placed for the student."""
    allowed = set(operations(graph))
    if len(set(chosen)) != len(chosen) or not set(chosen) <= allowed:
        raise ValueError("an order lists each operation of the function once")
    missing = unplaced(graph, chosen)
    if missing:
        raise ValueError(f"the order leaves out {len(missing)} of the {len(allowed)} operations")
    return list(chosen) + [n.id for n in graph.nodes if n.kind == "variable"]


def search_order(graph: Graph, search: str) -> list[int]:
    """The backward order a search from the output gives: "first-visit" (depth-first, as each
    node is first reached) or "breadth-first" (nearest to the output first)."""
    if search not in SEARCHES:
        raise ValueError(f"unknown search {search!r}: one of {', '.join(SEARCHES)}")
    found = first_visit_order(graph) if search == "first-visit" else breadth_first_order(graph)
    ops = set(operations(graph))
    return backward_order(graph, [n for n in found if n in ops])


def topological_backward_order(graph: Graph) -> list[int]:
    """The reversed topological order of every node that needs a gradient: always right."""
    return [n for n, _ in graph.backward_walk()]


def order_of_text(graph: Graph, text: str) -> list[int]:
    """Operations numbered as the diagram numbers them (1-based), separated by commas, as node
    ids. Raises ValueError unless each is an operation of `graph` listed once; the order may
    leave operations out (see `unplaced`)."""
    allowed = set(operations(graph))
    try:
        numbers = [int(part) - 1 for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError("an order is operation numbers separated by commas") from None
    if any(n not in allowed for n in numbers) or len(set(numbers)) != len(numbers):
        raise ValueError("an order lists operations of the function, each once")
    return numbers


@dataclass(frozen=True)
class Firing:
    """When a node fired in a backward pass in some order, against the topological one."""

    node: int
    at: int  # 1 for the first node to fire
    d_out: float  # what it passed on
    d_out_in_order: float  # what it would have passed on in a topological order
    early_by: tuple[int, ...]  # its users that had not sent yet


def firings(tried: Trace, right: Trace) -> list[Firing]:
    """Each backward step of `tried`, in its order, beside the same node's step in `right`."""
    correct = {s.node: s for s in right.steps if isinstance(s, BackwardStep)}
    steps = [s for s in tried.steps if isinstance(s, BackwardStep)]
    return [
        Firing(s.node, k, s.d_out, correct[s.node].d_out, tuple(s.early_by))
        for k, s in enumerate(steps, 1)
    ]
