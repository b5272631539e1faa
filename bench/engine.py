"""How fast the engine parses, traces and differentiates, beside micrograd and plain NumPy.

Run from the repository root:

    .venv/bin/python bench/engine.py [--quick]

Every time is the best of several runs (time.perf_counter), so the numbers show what the code
costs rather than what else the machine was doing. Ratios are measured in the same run, so they
compare like with like on whatever machine runs this.

The graphs are chains `x + 1*y + 2*y + ... + k*y`: every term adds three nodes (the constant,
a product and a sum), and the sums nest k deep, which is what defeats recursive graph walks.
micrograd builds the same graph from `Value` objects (`acc + k*y` makes the same three nodes).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engine  # noqa: E402

try:
    from micrograd.engine import Value
except ImportError:  # the table still shows the engine's own numbers
    Value = None

SIZES = (10, 100, 1_000, 10_000, 100_000)
GRID_POINTS = 100_000
GRID_FUNCTION = "log(xy) + exp(xy)"
# Generous limits: the defaults are for an interactive app, not for a benchmark.
LIMITS = {"max_length": 10**8, "max_nodes": 10**7, "max_depth": 10**6}
X, Y = 0.5, 1.5


def best_time(action: Callable[[], object], repeat: int = 5, budget: float = 0.2) -> float:
    """Seconds per call, the best of `repeat` batches; small actions run in batches.

    The batch size is chosen so that one batch takes about `budget` / `repeat` seconds, which
    keeps the timer's resolution and per-call noise out of the result for tiny graphs.
    """
    start = time.perf_counter()
    action()
    once = time.perf_counter() - start
    number = max(1, int(budget / repeat / max(once, 1e-9)))
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            action()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def chain_terms(nodes: int) -> int:
    """How many `k*y` terms make a chain of about `nodes` nodes (x and y, then 3 per term)."""
    return max(1, (nodes - 2) // 3)


def chain_text(terms: int) -> str:
    return "x + " + " + ".join(f"{k}*y" for k in range(1, terms + 1))


def micrograd_chain(terms: int) -> tuple[object, object, object]:
    """The same chain from micrograd Values; returns (output, x, y)."""
    x, y = Value(X), Value(Y)
    acc = x
    for k in range(1, terms + 1):
        acc = acc + k * y
    return acc, x, y


def micrograd_gradient(terms: int) -> float:
    """Forward (micrograd computes while it builds) and backward, as one gradient costs."""
    out, x, y = micrograd_chain(terms)
    out.backward()
    return y.grad


def per_node_us(seconds: float, nodes: int) -> str:
    return f"{seconds / nodes * 1e6:8.3f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:5.2f}x"


def size_table(sizes: tuple[int, ...], repeat: int) -> list[dict[str, object]]:
    rows = []
    header = (
        f"{'nodes':>7} | {'parse µs/node':>13} | {'trace µs/node':>13} | "
        f"{'gradient µs/node':>16} | {'micrograd µs/node':>17} | "
        f"{'gradient / micrograd':>20}"
    )
    print(header)
    print("-" * len(header))
    for size in sizes:
        terms = chain_terms(size)
        text = chain_text(terms)
        graph = engine.parse(text, **LIMITS)
        nodes = len(graph.nodes)
        # Correctness first: a fast wrong answer is no answer. d/dy = 1 + 2 + ... + terms.
        expected_dy = terms * (terms + 1) / 2
        assert graph.gradient(x=X, y=Y) == {"x": 1.0, "y": expected_dy}
        parse_s = best_time(lambda: engine.parse(text, **LIMITS), repeat)
        trace_s = best_time(lambda: graph.trace(x=X, y=Y), repeat)
        gradient_s = best_time(lambda: graph.gradient(x=X, y=Y), repeat)
        row = {"nodes": nodes, "parse": parse_s, "trace": trace_s, "gradient": gradient_s}
        if Value is None:
            micro, versus = f"{'not installed':>17}", f"{'':>20}"
        else:
            try:
                assert micrograd_gradient(terms) == expected_dy
                micro_s = best_time(lambda: micrograd_gradient(terms), repeat)
                row["micrograd"] = micro_s
                micro, versus = (
                    per_node_us(micro_s, nodes).rjust(17),
                    ratio(gradient_s, micro_s).rjust(20),
                )
            except RecursionError:
                micro, versus = f"{'fails':>17}", f"{'(RecursionError)':>20}"
        print(
            f"{nodes:>7,} | {per_node_us(parse_s, nodes):>13} | "
            f"{per_node_us(trace_s, nodes):>13} | {per_node_us(gradient_s, nodes):>16} | "
            f"{micro} | {versus}"
        )
        rows.append(row)
    return rows


def grid_table(repeat: int) -> dict[str, float]:
    """evaluate and gradient over a grid, against the same formula written in plain NumPy."""
    side = int(math.sqrt(GRID_POINTS))
    x, y = np.meshgrid(np.linspace(0.1, 3.0, side), np.linspace(0.1, 2.0, GRID_POINTS // side))
    x, y = x.ravel(), y.ravel()
    graph = engine.parse(GRID_FUNCTION)

    def numpy_value() -> np.ndarray:
        return np.log(x * y) + np.exp(x * y)

    def numpy_gradient() -> dict[str, np.ndarray]:
        e = np.exp(x * y)
        return {"x": 1 / x + y * e, "y": 1 / y + x * e}

    # The same numbers both ways, or the comparison means nothing.
    assert np.allclose(graph.evaluate(x=x, y=y), numpy_value())
    engine_grad, numpy_grad = graph.gradient(x=x, y=y), numpy_gradient()
    assert all(np.allclose(engine_grad[v], numpy_grad[v]) for v in "xy")

    print(f"\n{GRID_FUNCTION} over {x.size:,} grid points")
    header = f"{'':>9} | {'engine ms':>9} | {'NumPy ms':>9} | {'engine / NumPy':>14}"
    print(header)
    print("-" * len(header))
    ratios = {}
    for name, ours, theirs in [
        ("evaluate", lambda: graph.evaluate(x=x, y=y), numpy_value),
        ("gradient", lambda: graph.gradient(x=x, y=y), numpy_gradient),
    ]:
        ours_s, theirs_s = best_time(ours, repeat), best_time(theirs, repeat)
        ratios[name] = ours_s / theirs_s
        print(
            f"{name:>9} | {ours_s * 1e3:9.3f} | {theirs_s * 1e3:9.3f} | "
            f"{ratio(ours_s, theirs_s):>14}"
        )
    return ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer repeats and no 100,000-node graph, for a smoke run",
    )
    args = parser.parse_args(argv)
    repeat = 2 if args.quick else 5
    sizes = SIZES[:-1] if args.quick else SIZES

    print(f"Python {sys.version.split()[0]}, NumPy {np.__version__}; best of {repeat} runs\n")
    rows = size_table(sizes, repeat)

    thousand = min(rows, key=lambda r: abs(int(r["nodes"]) - 1_000))
    print(f"\ntrace of the {thousand['nodes']:,}-node graph: {thousand['trace'] * 1e3:.2f} ms")
    last = rows[-1]
    # From 1,000 nodes on, fixed costs per call no longer hide how the time grows.
    growth = {
        k: (last[k] / last["nodes"]) / (thousand[k] / thousand["nodes"])
        for k in ("parse", "trace", "gradient")
    }
    print(
        f"growth, time per node at {last['nodes']:,} nodes / at {thousand['nodes']:,} nodes "
        "(1.00 is linear): " + ", ".join(f"{k} {v:.2f}" for k, v in growth.items())
    )

    grid = grid_table(repeat)

    # The targets, as read from the numbers above (a report, not a test: timings vary).
    versus = [r["gradient"] / r["micrograd"] for r in rows if "micrograd" in r]
    print("\ntargets:")
    print(
        f"  gradient per node no slower than micrograd's: worst ratio "
        f"{max(versus, default=math.nan):.2f}x"
    )
    print(f"  trace of a 1,000-node graph under 50 ms: {thousand['trace'] * 1e3:.1f} ms")
    print(
        f"  evaluate and gradient on the grid within 3x of NumPy: "
        f"{grid['evaluate']:.2f}x and {grid['gradient']:.2f}x"
    )
    print(
        f"  linear growth: largest per-node growth {max(growth.values()):.2f} over "
        f"{last['nodes'] // thousand['nodes']}x the nodes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
