"""What the gradient-descent and PyTorch lessons cost on the server.

- a link with steps=2000 replays the whole run: target under 1 s for the default loss and
  under 5 s for a loss at the node limit (200 nodes);
- a tick of Train extends the session's last run by one step: target under 20 ms;
- the PyTorch code for a graph at the node limit: target under 50 ms.

Run: .venv/bin/python bench/descent.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engine  # noqa: E402
from engine.descent import MAX_STEPS, train  # noqa: E402
from engine.pytorch import program  # noqa: E402

DEFAULT = "(sigmoid(2w + b) - 1)^2 + (sigmoid(-w + b))^2"
LARGE = "+".join(f"sigmoid({k}w + b)^2" for k in range(1, 34))  # about 200 nodes


def timed(f, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    start = {"w": 0.5, "b": 0.0}
    for name, text, target in (("default loss", DEFAULT, 1.0), ("200-node loss", LARGE, 5.0)):
        g = engine.parse(text)
        whole = timed(lambda g=g: train(g, start, 1e-4, MAX_STEPS), repeat=1)
        print(
            f"{name} ({len(g.nodes)} nodes): {MAX_STEPS} steps from a link "
            f"{whole:.2f} s (target < {target:g} s)"
        )
        before = train(g, start, 1e-4, 500)
        tick = timed(
            lambda g=g, before=before: train(g, start, 1e-4, 501, previous=before), repeat=20
        )
        print(f"  one Train tick at step 500: {tick * 1e3:.1f} ms (target < 20 ms)")
    g = engine.parse(LARGE)
    code = timed(lambda: program(g, start), repeat=20)
    print(f"PyTorch code for {len(g.nodes)} nodes: {code * 1e3:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
