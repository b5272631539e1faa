"""Many students at once: concurrent sessions on the real server, each stepping its own function.

Run from the repository root:

    .venv/bin/python bench/load.py                    # 1, 10 and 30 sessions, then a huge function
    .venv/bin/python bench/load.py --levels 1,10,30,60 --steps 20 --think 0.5

The script starts `streamlit run app.py` on 127.0.0.1 (tests/conftest.py's start_app) and talks
to it as browsers do, over Streamlit's websocket with its protobuf messages, from one process:
each session is a `BackMsg.rerun_script` carrying the page's query string and widget states,
answered by the rerun's `ForwardMsg`s up to `script_finished`.

A session opens the playground from a link with its own function and values, then takes steps:
each step reports the step the player shows (the player component's widget state, as the
player does after a click) and waits for the rerun to finish. Like the browser, it reruns only
the fragment that holds the player when the page draws it in one (`--whole-page`: the page).
Every answer is checked against
the session's own state, so that no student sees another's work: the link the page writes back
(expr and step), the deck's title in the player's data and the function in the text box.

Reported: step latency (send to script_finished) median and 95th percentile per number of
sessions, the time to open, and errors (exceptions on the page, wrong function or step, time-outs,
closed connections), which must be 0. Then the huge function: the time to build the deck of the
largest functions the parser accepts, in-process, and the latency of another session stepping
while one session opens such a function on the server.

Every loop is bounded by a count and a deadline; only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402  (installed with streamlit)
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from tests.conftest import start_app, stop_app  # noqa: E402

FRAGMENT: str | None = "player"  # None: every step reruns the whole page
RUN_TIMEOUT = 180.0  # seconds for one rerun to finish, however loaded the server is
FINISHED = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}


@dataclass
class Run:
    """What one rerun sent back."""

    seconds: float
    query: dict[str, str] = field(default_factory=dict)
    title: str | None = None  # the deck's title in the player's data
    expr_box: str | None = None  # the function in the text box
    frames: int | None = None
    exceptions: list[str] = field(default_factory=list)
    widgets: dict[str, str] = field(default_factory=dict)  # user key -> widget id
    status: int | None = None
    bytes: int = 0


def _title(data: str) -> str | None:
    """The deck's title from the player's JSON, without decoding megabytes of frames."""
    marker = '"title": '
    at = data.find(marker)
    if at < 0:
        return None
    return json.JSONDecoder().raw_decode(data, at + len(marker))[0]


def _frames(data: str) -> int | None:
    # The frame count is the player's last step + 1; count the phase markers cheaply.
    return data.count('"phase": ')


class Session:
    """One browser tab, as far as the server can tell."""

    def __init__(self, url: str, name: str):
        self.ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.name = name
        self.ws = None
        self.query_string = ""
        self.widget_ids: dict[str, str] = {}
        self.fragment_ids: dict[str, str] = {}  # user key -> the fragment it is drawn in

    async def connect(self) -> None:
        self.ws = await asyncio.wait_for(
            websockets.connect(
                self.ws_url,
                subprotocols=["streamlit"],
                max_size=None,
                open_timeout=30,
                ping_interval=None,
            ),
            30,
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def rerun(
        self,
        query_string: str | None = None,
        widgets: dict[str, object] | None = None,
        fragment: str | None = None,
    ) -> Run:
        """Ask for a rerun (of the whole page, or of the fragment holding the widget named
        `fragment`, as the browser does for a widget inside one) and read the answer up to
        script_finished."""
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query_string if query_string is None else query_string
        if fragment is not None and self.fragment_ids.get(fragment):
            state.fragment_id = self.fragment_ids[fragment]
        for key, value in (widgets or {}).items():
            widget = state.widget_states.widgets.add()
            widget.id = self.widget_ids[key]
            if isinstance(value, dict):
                widget.json_value = json.dumps(value)
            elif isinstance(value, str):
                widget.string_value = value
            else:
                widget.double_value = float(value)
        started = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        run = Run(0.0)
        deadline = started + RUN_TIMEOUT
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: no script_finished in {RUN_TIMEOUT:.0f} s")
            data = await asyncio.wait_for(self.ws.recv(), remaining)
            run.bytes += len(data)
            forward = ForwardMsg()
            forward.ParseFromString(data)
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                self._read_element(forward.delta.new_element, run, forward.delta.fragment_id)
            elif kind == "page_info_changed":
                self.query_string = forward.page_info_changed.query_string
                run.query = {
                    k: v[-1] for k, v in parse_qs(self.query_string, keep_blank_values=True).items()
                }
            elif kind == "script_finished":
                if forward.script_finished in FINISHED:
                    run.status = forward.script_finished
                    run.seconds = time.perf_counter() - started
                    run.widgets = dict(self.widget_ids)
                    return run

    def _read_element(self, element, run: Run, fragment_id: str = "") -> None:
        which = element.WhichOneof("type")
        if which == "exception":
            run.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif which == "bidi_component":
            component = element.bidi_component
            self.widget_ids["player"] = component.id
            self.fragment_ids["player"] = fragment_id
            run.title = _title(component.json)
            run.frames = _frames(component.json)
        elif which == "text_input":
            self.widget_ids["expr"] = element.text_input.id
            # The server sends the box's text only when it sets it (on the first run); after
            # that the browser owns it.
            if element.text_input.value:
                run.expr_box = element.text_input.value


# -- the sessions ---------------------------------------------------------------------------------


def function_for(i: int) -> tuple[str, dict[str, str]]:
    """Session i's own function and point: every session's deck differs."""
    k = i + 1
    expr = f"sin({k}x) + x^{k % 4 + 2} * log(y + {k})"
    return expr, {"x": f"{0.5 + k / 100:g}", "y": f"{1 + k / 10:g}"}


@dataclass
class Tally:
    opens: list[float] = field(default_factory=list)
    steps: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bytes: int = 0


def check(run: Run, expr: str, step: int, who: str, tally: Tally) -> None:
    tally.bytes += run.bytes
    if run.exceptions:
        tally.errors.append(f"{who}: exception on the page: {run.exceptions[0]}")
    if run.query.get("expr") != expr:
        tally.errors.append(f"{who}: the link names {run.query.get('expr')!r}, not {expr!r}")
    if run.query.get("step") != str(step):
        tally.errors.append(f"{who}: the link's step is {run.query.get('step')}, not {step}")
    if run.title != expr:
        tally.errors.append(f"{who}: the player shows {run.title!r}, not {expr!r}")
    if run.expr_box is not None and run.expr_box != expr:
        tally.errors.append(f"{who}: the text box holds {run.expr_box!r}, not {expr!r}")


async def student(
    url: str, i: int, steps: int, think: float, tally: Tally, deadline: float
) -> None:
    expr, values = function_for(i)
    who = f"session {i}"
    session = Session(url, who)
    rng = random.Random(i)
    try:
        await session.connect()
        run = await session.rerun(urlencode({"expr": expr, **values, "step": 0}))
        tally.opens.append(run.seconds)
        check(run, expr, 0, who, tally)
        last = max((run.frames or 2) - 1, 1)
        for k in range(1, steps + 1):
            if time.monotonic() > deadline:
                tally.errors.append(f"{who}: out of time after {k - 1} steps")
                break
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            step = k % (last + 1)
            run = await session.rerun(widgets={"player": {"step": step}}, fragment=FRAGMENT)
            tally.steps.append(run.seconds)
            check(run, expr, step, who, tally)
    except (OSError, TimeoutError, websockets.ConnectionClosed, KeyError) as err:
        tally.errors.append(f"{who}: {type(err).__name__}: {err}")
    finally:
        await session.close()


async def level(url: str, sessions: int, steps: int, think: float, budget: float) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + budget
    await asyncio.gather(*(student(url, i, steps, think, tally, deadline) for i in range(sessions)))
    return tally


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of the server process so far (0 if unknown)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    if not values:
        return "no samples"
    return (
        f"median {statistics.median(values) * 1000:7.0f} ms   p95 "
        f"{percentile(values, 0.95) * 1000:7.0f} ms   max {max(values) * 1000:7.0f} ms   "
        f"(n={len(values)})"
    )


# -- huge functions ---------------------------------------------------------------------------


def huge_functions() -> dict[str, str]:
    """The largest functions of several shapes that the parser's default limits accept."""
    import engine

    shapes = {
        "x*x*...*x (x feeds every level)": lambda n: "*".join(["x"] * n),
        "x^x^...^x": lambda n: "^".join(["x"] * n),
        "1x + 2x + ... (fan-out, long sum)": lambda n: " + ".join(f"{k}x" for k in range(1, n)),
        "(x+1)(x+2)...": lambda n: "".join(f"(x+{k})" for k in range(1, n)),
        "sin(x+sin(x+...)) 50 deep": lambda n: "sin(x+" * min(n, 50) + "x" + ")" * min(n, 50),
        "Horner 49 deep": lambda n: (
            "".join(f"({k}+x*" for k in range(1, min(n, 50))) + "x" + ")" * (min(n, 50) - 1)
        ),
        "x_k*y_k sums (many variables)": lambda n: "+".join(f"x_{k}*y_{k}" for k in range(1, n)),
        "longest text": lambda n: "+".join(f"sin({k}x)" for k in range(1, n)),
    }
    found = {}
    for name, make in shapes.items():
        best, low, high = None, 1, 2000
        while low <= high:  # the largest n the limits accept
            n = (low + high) // 2
            try:
                engine.parse(make(n))
                best, low = make(n), n + 1
            except engine.ParseError:
                high = n - 1
        if best is not None:
            found[name] = best
    return found


def time_decks(functions: dict[str, str]) -> list[tuple[str, int, int, float, float, int]]:
    """(shape, nodes, characters, seconds to build the deck, CPU seconds, deck bytes), each
    built from nothing (no cached layout), as ui/work.py's deck does on a cache miss."""
    import logging

    # Outside a server st.cache_data says, on import, that it keeps its entries in memory: that
    # is the point here.
    logging.getLogger("streamlit.runtime.caching.cache_data_api").addFilter(
        lambda record: "No runtime found" not in record.getMessage()
    )
    import streamlit as st

    import engine
    from drawing.diagram import render_svg
    from ui.work import deck

    render_svg("digraph { a -> b }")  # compile Graphviz's WebAssembly once, before timing

    rows = []
    for name, text in functions.items():
        graph = engine.parse(text)
        values = tuple((v, 0.7) for v in graph.variables)
        render_svg.cache_clear()
        st.cache_data.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        built = deck(text, values)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rows.append(
            (
                name,
                len(graph.nodes),
                len(text),
                wall,
                cpu,
                len(json.dumps(built, separators=(",", ":"))),
            )
        )
    return rows


async def huge_on_server(url: str, text: str, steps: int, think: float) -> dict:
    """One session opens `text` (a layout of the largest kind) while another steps and a third
    opens a small new function: how long each waits."""
    stepping = Session(url, "stepping")
    expr, values = function_for(999)
    await stepping.connect()
    opened = await stepping.rerun(urlencode({"expr": expr, **values, "step": 0}))
    if "player" not in stepping.widget_ids:
        raise RuntimeError(f"the page showed no player: {opened.exceptions or opened.status}")
    baseline = []
    for k in range(1, steps + 1):
        await asyncio.sleep(think)
        baseline.append(
            (await stepping.rerun(widgets={"player": {"step": k % 10}}, fragment=FRAGMENT)).seconds
        )

    big = Session(url, "huge")
    await big.connect()
    big_started = time.perf_counter()
    big_task = asyncio.create_task(big.rerun(urlencode({"expr": text, "x": "0.7", "step": 0})))
    during, small_open = [], None
    small = Session(url, "small")
    await small.connect()
    await asyncio.sleep(0.05)
    small_task = asyncio.create_task(
        small.rerun(urlencode({"expr": "tanh(3x) * 7y", "x": "0.3", "y": "2", "step": 0}))
    )
    k = 0
    while not big_task.done() and k < 200:
        k += 1
        run = await stepping.rerun(widgets={"player": {"step": k % 10}}, fragment=FRAGMENT)
        during.append(run.seconds)
        await asyncio.sleep(0.1)
    big_run = await big_task
    small_open = (await small_task).seconds
    result = {
        "baseline": baseline,
        "during": during,
        "huge_open": big_run.seconds,
        "huge_wall": time.perf_counter() - big_started,
        "small_open": small_open,
        "huge_errors": big_run.exceptions,
        "huge_title_ok": big_run.title == text,
        "huge_bytes": big_run.bytes,
    }
    for session in (stepping, big, small):
        await session.close()
    return result


# -- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,10,30", help="numbers of concurrent sessions")
    parser.add_argument("--steps", type=int, default=15, help="steps per session")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds between a session's steps (0: as fast as possible)",
    )
    parser.add_argument(
        "--budget", type=float, default=900, help="seconds allowed per level before it is cut short"
    )
    parser.add_argument("--url", help="use a running server instead of starting one")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Streamlit option for the server, e.g. runner.postScriptGC=false",
    )
    parser.add_argument("--no-huge", action="store_true", help="skip the huge-function part")
    parser.add_argument(
        "--whole-page",
        action="store_true",
        help="rerun the whole page on each step, not the player's fragment",
    )
    args = parser.parse_args(argv)
    global FRAGMENT
    FRAGMENT = None if args.whole_page else "player"
    levels = [int(n) for n in args.levels.split(",")]

    extra = [
        a for option in args.option for a in (f"--{option.split('=')[0]}", option.split("=", 1)[1])
    ]
    process, url = (None, args.url) if args.url else start_app(extra=extra)
    errors = 0
    try:
        print(f"server {url}; {args.steps} steps per session, think time ~{args.think:g} s")
        # The server's first run imports the page's libraries and compiles Graphviz: not a step.
        asyncio.run(level(url, 1, 1, 0, args.budget))
        pid = process.pid if process is not None else None
        for sessions in levels:
            started, cpu = time.monotonic(), cpu_seconds(pid)
            tally = asyncio.run(level(url, sessions, args.steps, args.think, args.budget))
            errors += len(tally.errors)
            cpu = cpu_seconds(pid) - cpu
            runs = len(tally.opens) + len(tally.steps)
            print(
                f"\n{sessions} session(s), {time.monotonic() - started:.0f} s, "
                f"{tally.bytes / 1e6:.1f} MB received, server CPU {cpu:.1f} s "
                f"({cpu / max(runs, 1) * 1000:.0f} ms per run)"
            )
            print(f"  open the page: {summary(tally.opens)}")
            print(f"  one step:      {summary(tally.steps)}")
            print(f"  errors:        {len(tally.errors)}")
            for error in tally.errors[:10]:
                print(f"    {error}")
        if not args.no_huge:
            functions = huge_functions()
            print("\nhuge functions, deck built in-process from nothing (layout included):")
            for name, nodes, chars, wall, cpu, size in time_decks(functions):
                print(
                    f"  {name:36s} {nodes:4d} nodes {chars:5d} chars  {wall:6.2f} s "
                    f"(CPU {cpu:5.2f} s)  deck {size / 1e6:5.2f} MB"
                )
            # x*x*...*x: the slowest layout per node (x feeds every level of the chain).
            result = asyncio.run(
                huge_on_server(
                    url, functions["x*x*...*x (x feeds every level)"], args.steps, args.think
                )
            )
            print("\none session opens the huge x*x*...*x on the server while another steps:")
            print(
                f"  huge function opened in {result['huge_open']:.2f} s "
                f"({result['huge_bytes'] / 1e6:.1f} MB), title ok: {result['huge_title_ok']}, "
                f"exceptions: {len(result['huge_errors'])}"
            )
            print(f"  other session, one step before: {summary(result['baseline'])}")
            print(f"  other session, one step during: {summary(result['during'])}")
            print(
                f"  a third session opening a small new function meanwhile: "
                f"{result['small_open']:.2f} s"
            )
            errors += len(result["huge_errors"]) + (not result["huge_title_ok"])
    finally:
        if process is not None:
            stop_app(process)
    print(f"\nerrors in total: {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
