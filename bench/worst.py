"""Functions of a given size in the shapes that are hardest to lay out and to step through.

Each shape makes a graph of exactly, or just under, `n` nodes. Most are text a student could
type (`text` is set; `fits` says whether it is within the app's character limit); the random
DAGs are built node by node, since text with that much sharing would repeat each shared part.

Used by bench/layout.py and tests/test_layout.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import engine
from engine.graph import GraphBuilder


@dataclass(frozen=True)
class Case:
    shape: str
    graph: engine.Graph
    text: str  # what a student would type ("" for a graph built node by node)
    fits: bool  # within the app's limits (characters, nodes, nesting) as typed


def _largest(make: Callable[[int], str], n: int) -> str:
    """The text from `make(k)` with the most nodes not over n (k searched by bisection)."""
    best, low, high = make(1), 1, 4 * n
    while low <= high:
        k = (low + high) // 2
        try:
            engine.parse(make(k), max_nodes=n, max_length=100 * n, max_depth=n)
            best, low = make(k), k + 1
        except engine.ParseError:
            high = k - 1
    return best


TEXT_SHAPES: dict[str, Callable[[int], str]] = {
    # A deep chain with one input feeding every level: the longest edges.
    "x*x*…*x (x feeds every level)": lambda k: "*".join(["x"] * k),
    "x^x^…^x (power tower)": lambda k: "^".join(["x"] * k),
    # Wide sums: many terms, one variable read by all of them.
    "1x + 2x + … (fan-out, long sum)": lambda k: "+".join(f"{j}x" for j in range(1, k + 1)),
    "(x+1)(x+2)… (long product)": lambda k: "".join(f"(x+{j})" for j in range(1, k + 1)),
    # Many variables: a wide left column.
    "x_1*y_1 + x_2*y_2 + … (many inputs)": lambda k: "+".join(
        f"x_{j}*y_{j}" for j in range(1, k + 1)
    ),
    # A shared subexpression read at every level of a chain (fan-out of an inner node).
    "u·(u+1)·(u+2)…, u = sin(xy)": lambda k: "*".join(
        ["sin(xy)"] + [f"(sin(xy)+{j})" for j in range(1, k)]
    ),
    # Deep nesting, as deep as the app allows, repeated side by side.
    "sin(x+sin(x+…)) 50 deep, summed": lambda k: "+".join(
        "sin(" * 49 + f"{j}x" + ")" * 49 for j in range(1, k + 1)
    ),
}


def random_dag(n: int, seed: int) -> engine.Graph:
    """A random DAG of exactly n nodes: 6 variables and a few constants, then operations whose
    arguments are mostly recent nodes (depth) and sometimes any earlier node (long edges,
    shared subexpressions); what nothing reads is summed into the output."""
    rng = random.Random(seed)
    builder = GraphBuilder(merge=False)
    ids = [builder.variable(name) for name in "abcdef"]
    ids += [builder.constant(float(c), str(c)) for c in (2, 3)]
    read = [False] * len(ids)
    unary = ["sin", "exp", "tanh", "log", "sqrt"]
    binary = ["add", "mul", "sub", "div"]
    while len(builder.nodes) < n - 1:
        unread = sum(not r for r in read)
        if len(builder.nodes) + unread >= n:  # room left only to sum what nothing reads
            break

        def pick() -> int:
            if rng.random() < 0.7:
                return ids[max(0, len(ids) - 1 - int(rng.expovariate(0.3)))]
            return rng.choice(ids)

        if rng.random() < 0.3:
            args: tuple[int, ...] = (pick(),)
            name = rng.choice(unary)
        else:
            args = (pick(), pick())
            name = rng.choice(binary)
        for a in args:
            read[a] = True
        ids.append(builder.operation(name, args))
        read.append(False)
    loose = [i for i in ids if not read[i]]
    output = loose[0]
    for other in loose[1:]:
        output = builder.operation("add", (output, other))
    return builder.finish(output, f"random DAG (seed {seed})")


def worst_cases(n: int, random_seeds: tuple[int, ...] = (1, 2, 3)) -> list[Case]:
    cases = []
    for shape, make in TEXT_SHAPES.items():
        text = _largest(make, n)
        graph = engine.parse(text, max_nodes=n, max_length=100 * n, max_depth=n)
        try:
            engine.parse(text, max_nodes=max(n, engine.MAX_NODES))
            fits = True
        except engine.ParseError:
            fits = False
        cases.append(Case(shape, graph, text, fits))
    for seed in random_seeds:
        cases.append(Case(f"random DAG, seed {seed}", random_dag(n, seed), "", False))
    return cases
