"""Layout time of the worst functions at the node limit, and the whole way from text to deck.

For each shape of bench/worst.py at each size (default 200 and 500 nodes, the old and the new
limit), built from nothing each time (no cached layout):
- layout: the laid-out SVG from the graph and its widest texts (drawing.diagram.layout_svg),
  against a 1 s target;
- text to deck: parse, trace, every step's patch and explanation, the layout and the deck as
  JSON (what ui/work.py's deck does on a cache miss), against the 1.5 s the app allows a
  function at the node limit to take to its diagram; and the deck's size in bytes.

Each is timed `--repeat` times; the minimum and the median are printed (on a shared machine
the minimum is the cost, the median what a student waits). Functions over the app's character
limit are marked: they are laid out the same, but a student cannot type them as they are.

Run: .venv/bin/python bench/layout.py [--sizes 200,500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engine  # noqa: E402
from bench.worst import Case, worst_cases  # noqa: E402
from drawing.deck import deck_data  # noqa: E402
from drawing.diagram import LAYERED_GRAPH, layout_svg, render_svg, text_width, timeline  # noqa: E402

LAYOUT_TARGET = 1.0
DECK_TARGET = 1.5


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """(minimum, median) wall seconds over `repeat` runs, and the last result."""
    seconds, result = [], None
    for _ in range(repeat):
        render_svg.cache_clear()
        started = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - started)
    return min(seconds), statistics.median(seconds), result


def text_to_deck(case: Case) -> bytes:
    graph = (
        engine.parse(case.text, max_nodes=len(case.graph.nodes), max_length=10**6, max_depth=10**6)
        if case.text
        else case.graph
    )
    trace = graph.trace({v: 0.7 for v in graph.variables})
    deck = deck_data(trace, title=case.text or case.shape)
    return json.dumps(deck, separators=(",", ":")).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="200,500")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-deck", action="store_true", help="time the layout only")
    args = parser.parse_args()

    render_svg("digraph { a -> b }")  # compile Graphviz's WebAssembly once, before timing
    text_width("0123456789.−+=_← ·×#dout")  # and measure the usual characters' widths
    print(
        f"node limit {engine.MAX_NODES}; dot up to {LAYERED_GRAPH} nodes, positions of our own "
        f"above; {args.repeat} runs each, wall seconds min / median"
    )
    print(
        f"{'shape':<38} {'nodes':>5} {'chars':>6}  {'layout':>13} {'target':>6}  "
        f"{'text to deck':>13} {'target':>6}  {'deck':>8}"
    )
    worst_layout = worst_deck = 0.0
    for size in (int(s) for s in args.sizes.split(",")):
        for case in worst_cases(size):
            graph = case.graph
            widest = timeline(graph.trace({v: 0.7 for v in graph.variables})).widest
            low, middle, _ = timed(lambda: layout_svg(graph, widest), args.repeat)  # noqa: B023
            worst_layout = max(worst_layout, middle)
            chars = f"{len(case.text)}{'' if case.fits else '*'}" if case.text else "-"
            line = (
                f"{case.shape[:38]:<38} {len(graph.nodes):>5} {chars:>6}  "
                f"{low:>5.2f} / {middle:>5.2f} {LAYOUT_TARGET:>6.1f}  "
            )
            if not args.no_deck:
                deck_low, deck_middle, data = timed(
                    lambda: text_to_deck(case),  # noqa: B023
                    max(1, args.repeat // 2),
                )
                worst_deck = max(worst_deck, deck_middle)
                assert isinstance(data, bytes)
                line += (
                    f"{deck_low:>5.2f} / {deck_middle:>5.2f} {DECK_TARGET:>6.1f}  "
                    f"{len(data) / 1e6:>6.2f} MB"
                )
            print(line, flush=True)
    print(
        f"\nslowest layout (median): {worst_layout:.2f} s against {LAYOUT_TARGET} s"
        + ("" if args.no_deck else f"; slowest text to deck: {worst_deck:.2f} s")
    )
    print(f"* over the app's {engine.MAX_LENGTH:,}-character limit as typed")


if __name__ == "__main__":
    main()
