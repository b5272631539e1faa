"""The long fuzzing run of the parser, the trace and the explanations.

Run from the repository root:

    .venv/bin/python fuzz/parser.py                       # 200,000 inputs with Atheris
    .venv/bin/python fuzz/parser.py --runs 20000 --engine random

Atheris (libFuzzer for Python, coverage-guided, `pip install atheris`) mutates a seed corpus of
valid functions with a dictionary of the syntax's words, so most inputs are near-valid text that
reaches deep into the parser. Without Atheris, `--engine random` mutates the same seeds with
Python's `random`. Each input is handled as a link or a typed function would be:

1. `engine.parse` with the app's limits: it must return a graph within the limits or raise
   `engine.ParseError` with a position inside the text; anything else is a failure.
2. A parsed graph is evaluated, differentiated and traced at a random point (symbolic or
   numerical local derivatives); nan and inf are answers, exceptions are failures.
3. The trace's explanations are written out, LaTeX converted to MathML as the app shows them.

The report gives the inputs run, the failures (must be 0), the graphs over the limits (must be
0), and the slowest inputs. Atheris' coverage hooks slow the code down, so the slowest inputs
are timed again, best of five, in a fresh process without them: that is the figure to hold
against the 50 ms target. Exit status 1 if anything failed.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 0.050  # no input may take longer to parse
SLOWEST_KEPT = 20
MAX_STEPS_EXPLAINED = 60  # per input: all steps of small traces, a sample of large ones

SEEDS = [
    "log(xy)+exp(xy)",
    "sin(x^2)",
    "2x + 3y",
    "sigmoid(w x + b)",
    "(a+b)(b+1)",
    "x*x",
    "x/x",
    "tanh(w1 x1 + w2 x2 + b)",
    "relu(x) - abs(y)",
    "sqrt(x^2 + y^2)",
    "x**3 - 2x**2 + 1",
    "e^(-x^2/2)/sqrt(2pi)",
    "ln(1 + exp(θ))",
    "α x² + β x + γ",
    "−x × y · z",
    "1e-3 x + 2.5E+2",
    "cos(x)^2 + sin(x)^2",
    "tan(pi x / 4)",
    "x_1 x_2 x_3",
    "(x + 1)(x - 1)(x + 2)",
    "exp(1000 x)",
    "log(0 x)",
    "0^-1",
    "sqrt(-1)",
    "tan(pi/2)",
    "x^y^z",
    "1/(1 + e^-x)",
    "(" * 49 + "x" + ")" * 49,
    "sin(" * 24 + "x" + ")" * 24,
    "-" * 300 + "x",
    "+".join(f"{k}x^{k}" for k in range(1, 60)),
    "x" + "*x" * 399,
    "9" * 300,
    "1e308 x",
    "x" * 200,
    "sinn(x)",
    "exp(x, y)",
    "x = 1",
    "|x|",
    "x + ",
    "((x)",
    "2 3",
    "1..2",
]
DICTIONARY = sorted(
    {
        "sin(",
        "cos(",
        "tan(",
        "exp(",
        "log(",
        "ln(",
        "sqrt(",
        "tanh(",
        "sigmoid(",
        "relu(",
        "abs(",
        "pi",
        "e",
        "π",
        "theta",
        "alpha",
        "beta",
        "gamma",
        "delta",
        "lambda",
        "mu",
        "sigma",
        "omega",
        "θ",
        "σ",
        "**",
        "^",
        "²",
        "³",
        "×",
        "·",
        "−",
        "(",
        ")",
        "+",
        "-",
        "*",
        "/",
        "_1",
        "1e308",
        "1e-308",
        "1e309",
        "e+",
        "E-",
        ".5",
        "0.",
        "x",
        "y",
        "w",
        "b",
        " ",
    }
)
# Values at which parsed graphs are traced: the edges of every op's domain, and the widgets'
# range (±1e12).
POINTS = [
    0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    2.0,
    3.0,
    1e-300,
    -1e-300,
    1e-12,
    1e12,
    -1e12,
    math.pi / 2,
    -math.pi / 2,
    709.0,
    710.0,
    -745.0,
    1e154,
    1.7976931348623157e308,
]
EPS = [10.0**-k for k in range(1, 13)]


class Run:
    """Counters and the worst cases seen so far."""

    def __init__(self, engine_name: str):
        self.engine = engine_name
        self.inputs = self.parsed = self.parse_errors = self.traced = self.nonfinite = 0
        self.explained_steps = 0
        self.failures: list[dict] = []
        self.over_limits: list[dict] = []
        self.slowest_parse: list[tuple[float, int, str]] = []  # a heap of the slowest
        self.slowest_work = (0.0, "")  # evaluate + gradient + trace + explanations
        self.started = time.monotonic()

    def keep_slow(self, seconds: float, text: str) -> None:
        item = (seconds, self.inputs, text)
        if len(self.slowest_parse) < SLOWEST_KEPT:
            heapq.heappush(self.slowest_parse, item)
        elif seconds > self.slowest_parse[0][0]:
            heapq.heapreplace(self.slowest_parse, item)

    def fail(self, stage: str, text: str, error: BaseException) -> None:
        if len(self.failures) < 50:  # enough to act on; the count goes on
            self.failures.append(
                {
                    "stage": stage,
                    "text": text,
                    "error": repr(error),
                    "traceback": traceback.format_exc(limit=6),
                }
            )
        else:
            self.failures.append({"stage": stage, "error": repr(error)})


def point_for(text: str, variables: tuple[str, ...]) -> tuple[dict[str, float], str, float]:
    """A repeatable random point, mode and eps for this text."""
    rng = random.Random(zlib.crc32(text.encode("utf-8", "surrogatepass")))
    values = {}
    for name in variables:
        if rng.random() < 0.5:
            values[name] = rng.choice(POINTS) * rng.choice([1, -1])
        else:
            values[name] = rng.choice([1, -1]) * 10 ** rng.uniform(-12, 12)
    local = "numerical" if rng.random() < 0.25 else "symbolic"
    return values, local, rng.choice(EPS)


def handle(run: Run, text: str, engine, explain, explanation_html) -> None:
    """One input, through everything the app does with a function short of drawing it."""
    run.inputs += 1
    started = time.perf_counter()
    try:
        graph = engine.parse(text)
    except engine.ParseError as err:
        run.keep_slow(time.perf_counter() - started, text)
        run.parse_errors += 1
        if not (isinstance(err.position, int) and 0 <= err.position <= len(text)):
            run.fail(
                "parse", text, AssertionError(f"position {err.position} outside 0..{len(text)}")
            )
        return
    except Exception as err:  # noqa: BLE001 - the one thing this run looks for
        run.fail("parse", text, err)
        return
    run.keep_slow(time.perf_counter() - started, text)
    run.parsed += 1
    if len(graph.nodes) > engine.MAX_NODES or len(text) > engine.MAX_LENGTH:
        run.over_limits.append({"text": text, "nodes": len(graph.nodes)})

    values, local, eps = point_for(text, graph.variables)
    started = time.perf_counter()
    stage = "evaluate"
    try:
        graph.evaluate(values)
        stage = "gradient"
        graph.gradient(values)
        stage = "trace"
        trace = graph.trace(values, local=local, eps=eps)
        run.traced += 1
        run.nonfinite += bool(trace.warnings)
        stage = "explain"
        frames = range(len(trace) + 1)
        if len(frames) > MAX_STEPS_EXPLAINED:
            rng = random.Random(len(text))
            frames = [0, len(trace)] + rng.sample(frames, MAX_STEPS_EXPLAINED - 2)
        for k in frames:
            explanation_html(explain(trace, k))
            run.explained_steps += 1
    except Exception as err:  # noqa: BLE001
        run.fail(stage, text, err)
    seconds = time.perf_counter() - started
    if seconds > run.slowest_work[0]:
        run.slowest_work = (seconds, text)


def retime(texts: list[str]) -> list[float]:
    """Best-of-five parse times in a fresh interpreter, without coverage hooks."""
    code = (
        "import json, sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import engine\n"
        "out = []\n"
        "for text in json.load(sys.stdin):\n"
        "    best = float('inf')\n"
        "    for _ in range(5):\n"
        "        t = time.perf_counter()\n"
        "        try:\n"
        "            engine.parse(text)\n"
        "        except engine.ParseError:\n"
        "            pass\n"
        "        best = min(best, time.perf_counter() - t)\n"
        "    out.append(best)\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(result.stdout)


def shown(text: str, width: int = 70) -> str:
    text = repr(text)
    return text if len(text) <= width else f"{text[: width - 20]}…{text[-15:]} ({len(text)} chars)"


def report(run: Run, json_path: str | None) -> int:
    elapsed = time.monotonic() - run.started
    slowest = sorted(run.slowest_parse, reverse=True)
    clean = retime([text for _, _, text in slowest]) if slowest else []
    ranked = sorted(
        zip(clean, (s for s, _, _ in slowest), (t for _, _, t in slowest), strict=False),
        reverse=True,
    )
    worst_clean = ranked[0] if ranked else (0.0, 0.0, "")
    print()
    print(f"engine:                {run.engine}")
    print(
        f"inputs run:            {run.inputs:,} in {elapsed:,.0f} s "
        f"({run.inputs / max(elapsed, 1e-9):,.0f}/s)"
    )
    print(f"parsed / ParseError:   {run.parsed:,} / {run.parse_errors:,}")
    print(
        f"traced:                {run.traced:,} ({run.nonfinite:,} with nan/inf warnings), "
        f"{run.explained_steps:,} steps explained"
    )
    print(f"other exceptions:      {len(run.failures)}")
    for failure in run.failures[:10]:
        print(f"  {failure['stage']}: {failure['error']} on {shown(failure.get('text', ''))}")
    print(f"graphs over the limits: {len(run.over_limits)}")
    print(
        f"slowest parse (in run): {slowest[0][0] * 1000:.2f} ms on {shown(slowest[0][2])}"
        if slowest
        else "slowest parse: none"
    )
    print(
        f"slowest parse (re-timed in a fresh process, best of 5): {worst_clean[0] * 1000:.2f} "
        f"ms on {shown(worst_clean[2])}"
    )
    print(
        f"slowest evaluate+gradient+trace+explain: {run.slowest_work[0] * 1000:.1f} ms on "
        f"{shown(run.slowest_work[1])}"
    )
    met = worst_clean[0] <= TARGET_SECONDS
    print(f"target: no parse over {TARGET_SECONDS * 1000:.0f} ms: {'met' if met else 'MISSED'}")
    if json_path:
        Path(json_path).write_text(
            json.dumps(
                {
                    "engine": run.engine,
                    "inputs": run.inputs,
                    "seconds": elapsed,
                    "parsed": run.parsed,
                    "parse_errors": run.parse_errors,
                    "traced": run.traced,
                    "nonfinite_traces": run.nonfinite,
                    "explained_steps": run.explained_steps,
                    "failures": run.failures,
                    "over_limits": run.over_limits,
                    "slowest_parse": [
                        {"retimed_ms": c * 1000, "in_run_ms": s * 1000, "text": t}
                        for c, s, t in ranked
                    ],
                    "slowest_work_ms": run.slowest_work[0] * 1000,
                    "slowest_work_text": run.slowest_work[1],
                },
                indent=2,
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
    return 1 if run.failures or run.over_limits else 0


# -- input generators ---------------------------------------------------------------------------

INSERTS = list("()+-*/^.,;=[]{}|!%\"'_eE0123456789xyπ²³×·−θσ \t\n\x00\u0301\u200d😀")


def mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 5)):
        i = rng.randint(0, len(text))
        kind = rng.randrange(9)
        if kind == 0:
            text = text[:i] + rng.choice(INSERTS + DICTIONARY) + text[i:]
        elif kind == 1 and text:
            text = text[: max(i - 1, 0)] + text[i:]
        elif kind == 2 and text:
            text = text[: max(i - 1, 0)] + rng.choice(INSERTS) + text[i:]
        elif kind == 3:
            text = text[:i] + rng.choice("+-*/^") * rng.randint(2, 4) + text[i:]
        elif kind == 4:
            text = text[:i] + rng.choice("()") * rng.randint(1, 3) + text[i:]
        elif kind == 5:
            text = (
                text[:i]
                + rng.choice(["9" * 400, "1e99999", "1e-99999", "0." + "0" * 400 + "1"])
                + text[i:]
            )
        elif kind == 6:
            depth = rng.randint(45, 55)
            opener = rng.choice(["(", "sin(", "-(", "x("])
            text = opener * depth + text + ")" * depth
        elif kind == 7:
            text = rng.choice(["+", "^", "*", " ", "/"]).join([text] * rng.randint(2, 60))
        else:
            other = rng.choice(SEEDS)
            text = text[:i] + other[rng.randint(0, len(other)) :]
    return text[:1200]


def random_text(rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.1:  # any Unicode scalar value
        return "".join(
            chr(c)
            for c in (rng.randrange(0x110000) for _ in range(rng.randint(0, 80)))
            if not 0xD800 <= c <= 0xDFFF
        )
    if choice < 0.25:  # dense syntax
        return "".join(rng.choice(INSERTS + DICTIONARY) for _ in range(rng.randint(0, 150)))
    return mutate(rng, rng.choice(SEEDS))


def run_random(run: Run, args, work) -> None:
    rng = random.Random(args.seed)
    deadline = run.started + args.max_seconds
    while run.inputs < args.runs and time.monotonic() < deadline:
        handle(run, random_text(rng), *work)
        progress(run, args)


def progress(run: Run, args) -> None:
    if run.inputs % 20_000 == 0:
        print(
            f"… {run.inputs:,} inputs, {len(run.failures)} failures, "
            f"{time.monotonic() - run.started:,.0f} s",
            flush=True,
        )


def _dict_escape(word: str) -> str:
    """A word as libFuzzer's dictionary format wants it: UTF-8 bytes, \\xNN beyond ASCII."""
    return "".join(
        chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\x{b:02X}"
        for b in word.encode("utf-8")
    )


def run_atheris(run: Run, args, json_path: str | None) -> None:
    import atheris

    with atheris.instrument_imports(include=["engine"]):
        import engine
    from drawing.deck import explanation_html
    from engine.explain import explain

    work = (engine, explain, explanation_html)

    workdir = Path(tempfile.mkdtemp(prefix="fuzz-parser-"))
    corpus = workdir / "corpus"
    corpus.mkdir()
    for i, seed in enumerate(SEEDS):
        (corpus / f"seed-{i:03d}").write_bytes(seed.encode("utf-8"))
    dictionary = workdir / "syntax.dict"
    dictionary.write_text(
        "".join(f'"{_dict_escape(word)}"\n' for word in DICTIONARY), encoding="ascii"
    )
    deadline = run.started + args.max_seconds

    def test_one_input(data: bytes) -> None:
        if data[:1] == b"\x00":  # now and then, Unicode from anywhere in the code space
            provider = atheris.FuzzedDataProvider(data[1:])
            text = provider.ConsumeUnicodeNoSurrogates(len(data))
        else:
            text = data.decode("utf-8", "replace")
        handle(run, text, *work)
        progress(run, args)
        if run.inputs >= args.runs or time.monotonic() >= deadline:
            status = report(run, json_path)
            shutil.rmtree(workdir, ignore_errors=True)
            sys.stdout.flush()
            os._exit(status)  # libFuzzer never returns; stop here with the report

    atheris.Setup(
        [
            sys.argv[0],
            f"-dict={dictionary}",
            "-max_len=1200",
            f"-seed={args.seed}",
            "-print_final_stats=0",
            "-timeout=30",
            f"-max_total_time={int(args.max_seconds) + 120}",
            str(corpus),
        ],
        test_one_input,
    )
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200_000, help="inputs to run")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=3600,
        help="stop after this long even if --runs are not done",
    )
    parser.add_argument(
        "--engine",
        choices=["atheris", "random"],
        default=None,
        help="default: atheris if installed, else random",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the report to this file")
    args = parser.parse_args(argv)
    name = args.engine
    if name is None:
        try:
            import atheris  # noqa: F401

            name = "atheris"
        except ImportError:
            name = "random"
    run = Run(name)
    if name == "atheris":
        run_atheris(run, args, args.json)  # exits by itself
    import engine
    from drawing.deck import explanation_html
    from engine.explain import explain

    run_random(run, args, (engine, explain, explanation_html))
    return report(run, args.json)


if __name__ == "__main__":
    sys.exit(main())
