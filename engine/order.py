"""Orders for the backward pass that a student can try: the operations to order, a full order
from the operations chosen, and the orders a search would give.

Variables only collect what arrives, so every order here ends with them; constants need no
gradient and take no part.
"""

from __future__ import annotations

from collections.abc import Sequence

from .graph import Graph
from .trace import breadth_first_order, first_visit_order

SEARCHES = ("first-visit", "breadth-first")


def operations(graph: Graph) -> list[int]:
    """The operations that take part in the backward pass (those on a path from a variable),
    in reversed topological order: the output first."""
    return [n for n in reversed(graph.topological_order())
            if graph.nodes[n].kind == "operation" and graph.needs_gradient[n]]


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
        raise ValueError(f"the order leaves out {len(missing)} of the {len(allowed)} "
                         "operations")
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
    return [n for n in reversed(graph.topological_order()) if graph.needs_gradient[n]]
