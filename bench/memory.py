"""A long lecture: does the server's memory level off?

Run from the repository root:

    .venv/bin/python bench/memory.py                       # 1,000 functions, 200 sessions
    .venv/bin/python bench/memory.py --functions 200 --sessions 50 --settle 0
    .venv/bin/python bench/memory.py --huge --functions 400 --every 50 --sessions 0 --settle 0

Starts `streamlit run app.py` on 127.0.0.1 and reads the server's resident memory (VmRSS in
/proc/<pid>/status) at checkpoints while

1. one session types 1,000 different functions, one after another, into the playground's text
   box (each a new deck: a layout, a trace, every step's explanation, the slide file), then
2. 200 sessions open the playground from their own links and close again, ten at a time, then
3. the server idles past `server.disconnectedSessionTTL`, after which Streamlit drops the
   sessions it kept for reconnecting, and another 200 sessions open and close. Python keeps
   freed memory for reuse rather than handing it back, so RSS does not fall; but if closed
   sessions were kept, this second round would grow it as much as the first did.

What should level off: the engine's work is cached in ui/work.py's st.cache_data (256 entries,
one hour) and the layouts in drawing's lru_cache (64); Streamlit keeps a closed session for
reconnection for two minutes, at most 128 of them. Every answer is checked as in bench/load.py.
Every loop has a count and a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/, whose engine.py is not the engine package
sys.path.append(str(ROOT / "bench"))

from load import Session, Tally, check, function_for  # noqa: E402

from tests.conftest import start_app, stop_app  # noqa: E402

VARIABLES = ["x", "y", "z", "w", "b", "a", "t", "u", "v", "theta", "x1", "x2"]
TEMPLATES = [
    "sin({k}{a}) + {b}^2",
    "log({a}^2 + {k}) * {b}",
    "exp(-{a}/{k}) + tanh({b})",
    "sigmoid({k}{a} + {b})",
    "sqrt({a}^2 + {b}^2 + {k})",
    "({a} + {k})({b} - {k})",
    "relu({a} - {k}) + abs({b})",
    "cos({a}{b}) / ({k} + {a}^2)",
    "{a}^{p} + {k}{b}",
    "ln(1 + exp({k}{a})) - {b}",
]


def huge_function(i: int) -> str:
    """The i-th of many different functions at the node limit (x*x*...*x, each with its own
    constant): the largest decks there are."""
    import engine

    n = engine.MAX_NODES - 2
    return f"{i + 2}*" + "*".join(["x"] * n)


def typed_function(i: int) -> str:
    """The i-th function the student types: all different, some with new variable names."""
    rng = random.Random(i)
    a, b = rng.sample(VARIABLES, 2)
    return TEMPLATES[i % len(TEMPLATES)].format(
        k=i // len(TEMPLATES) + 1, a=a, b=b, p=rng.randint(2, 5)
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def mark(points: list[tuple[str, float]], pid: int, label: str) -> None:
    points.append((label, rss_mb(pid)))
    print(f"  {label:42s} RSS {points[-1][1]:7.1f} MB", flush=True)


async def typing(
    url: str,
    pid: int,
    functions: int,
    every: int,
    deadline: float,
    tally: Tally,
    points: list,
    make=None,
) -> None:
    make = make or typed_function
    session = Session(url, "typist")
    await session.connect()
    first = make(0)
    run = await session.rerun(urlencode({"expr": first, "step": 0}))
    check(run, first, 0, "typist", tally)
    mark(points, pid, "typist: first function")
    for i in range(1, functions + 1):
        if time.monotonic() > deadline:
            tally.errors.append(f"typist: out of time after {i - 1} functions")
            break
        text = make(i)
        run = await session.rerun(widgets={"expr": text})
        check(run, text, 0, f"typist, function {i}", tally)
        if i % every == 0:
            mark(points, pid, f"typist: {i} functions typed")
    await session.close()


async def visitors(
    url: str,
    pid: int,
    sessions: int,
    batch: int,
    deadline: float,
    tally: Tally,
    points: list,
    round_: int = 1,
) -> None:
    opened = 0
    while opened < sessions and time.monotonic() < deadline:
        group = range(opened, min(opened + batch, sessions))

        async def visit(i: int) -> None:
            expr, values = function_for(1000 * round_ + i)
            session = Session(url, f"visitor {i}")
            try:
                await session.connect()
                run = await session.rerun(urlencode({"expr": expr, **values, "step": 0}))
                check(run, expr, 0, f"visitor {i}", tally)
            except Exception as err:  # noqa: BLE001 - counted, the run goes on
                tally.errors.append(f"visitor {i}: {type(err).__name__}: {err}")
            finally:
                await session.close()

        await asyncio.gather(*(visit(i) for i in group))
        opened += len(group)
        if opened % 50 == 0 or opened == sessions:
            mark(points, pid, f"visitors, round {round_}: {opened} opened and closed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--functions", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--every", type=int, default=100, help="checkpoint every N functions")
    parser.add_argument(
        "--settle",
        type=float,
        default=150,
        help="seconds to idle at the end (past the 120 s reconnection window)",
    )
    parser.add_argument("--budget", type=float, default=3600, help="seconds for the whole run")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Streamlit option for the server, e.g. runner.postScriptGC=false",
    )
    parser.add_argument(
        "--huge",
        action="store_true",
        help="type functions at the node limit (the largest decks) instead",
    )
    args = parser.parse_args(argv)

    process, url = start_app(
        extra=[
            a
            for option in args.option
            for a in (f"--{option.split('=')[0]}", option.split("=", 1)[1])
        ]
    )
    pid = process.pid
    deadline = time.monotonic() + args.budget
    tally, points = Tally(), []
    try:
        print(f"server {url}, pid {pid}")
        mark(points, pid, "started, no session yet")
        asyncio.run(
            typing(
                url,
                pid,
                args.functions,
                args.every,
                deadline,
                tally,
                points,
                huge_function if args.huge else None,
            )
        )
        mark(points, pid, "typist closed")
        asyncio.run(visitors(url, pid, args.sessions, 10, deadline, tally, points))
        time.sleep(min(args.settle, max(0.0, deadline - time.monotonic())))
        mark(points, pid, f"idle {args.settle:.0f} s")
        asyncio.run(visitors(url, pid, args.sessions, 10, deadline, tally, points, 2))
    finally:
        stop_app(process)
    typed = [rss for label, rss in points if label.startswith("typist: ") and "typed" in label]
    if len(typed) >= 4:
        half = len(typed) // 2
        print(
            f"\ngrowth over the first half of the typing: {typed[half] - typed[0]:+.1f} MB, "
            f"over the second half: {typed[-1] - typed[half]:+.1f} MB"
        )
    for round_ in (1, 2):
        rss = [r for label, r in points if label.startswith(f"visitors, round {round_}")]
        before = points[
            [label for label, _ in points].index(
                "typist closed" if round_ == 1 else f"idle {args.settle:.0f} s"
            )
        ][1]
        if rss:
            print(f"visitors, round {round_}: {rss[-1] - before:+.1f} MB")
    print(f"peak {max(r for _, r in points):.1f} MB; errors: {len(tally.errors)}")
    for error in tally.errors[:10]:
        print(f"  {error}")
    return 1 if tally.errors else 0


if __name__ == "__main__":
    sys.exit(main())
