"""Typing a new function: from Enter in the Function box to the new function's diagram on screen.

Starts the real app, opens the playground in headless Chromium at 1280×800 and, for each of the
course's functions and for the largest function the parser accepts (engine.MAX_NODES nodes within
engine.MAX_LENGTH characters), fills the Function box and presses Enter. Timed inside the page
(performance.now): from the Enter key to the first animation frame in which the player shows the
typed function (its title) with its diagram's boxes at a size above zero. At the node limit, that
time is also split where the deck's websocket message reached the page.
Every round types each function with one more trailing space than the round before: the same
function to the parser, but new text to the page's caches, so every deck is built anew, as for a
function nobody has typed yet.
Targets: under 500 ms median for the course's functions, under 1.5 s at the node limit.
Beside them: the time the server takes to build the deck at the node limit (drawing.deck_data,
in this process, wall and CPU): the deck of its first steps, which the page sends first, and the
whole deck, which follows once the player has drawn the first (ui/work.deck, first_steps_only)
from the diagram built for them (and, beside it, built anew); and the machine's load average, as
the figures depend on it.

Run: .venv/bin/python bench/typing_speed.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, COURSE, start_app, stop_app  # noqa: E402

import engine  # noqa: E402
from engine.graph import cycle_collector_paused  # noqa: E402

TARGET_COURSE = 500.0
TARGET_LIMIT = 1500.0

# Set up before the Enter key: the time of the key, then of the first frame that shows `expected`.
WATCH = """(expected) => {
  window.bpTyped = undefined;
  window.bpEnter = undefined;
  window.bpArrived = undefined;
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && window.bpEnter === undefined) window.bpEnter = performance.now();
  }, { capture: true, once: true });
  const shows = () => {
    for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
      const root = host.shadowRoot || host;
      const title = root.querySelector(".bp-title");
      const svg = root.querySelector(".bp-stage svg");
      if (!title || !svg || title.textContent.trim() !== expected) continue;
      const box = svg.getBoundingClientRect();
      if (svg.querySelector("g[id^='bp-']") && box.width > 0 && box.height > 0) return true;
    }
    return false;
  };
  const tick = () => {
    if (window.bpEnter !== undefined && shows()) {
      window.bpTyped = performance.now() - window.bpEnter;
      return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


# Set up before the app loads: the time the first large websocket message (a deck) reached the
# page, before the page reads it.
ARRIVALS = """(() => {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const data = event.data;
        const size = data.byteLength !== undefined ? data.byteLength : (data.size || data.length);
        if (size > 100000 && window.bpArrived === undefined) window.bpArrived = performance.now();
      });
    }
  };
})();"""


def nodes_of(text: str) -> int:
    return len(engine.parse(text).nodes)


def fits(text: str) -> bool:
    try:
        engine.parse(text)
    except engine.ParseError:
        return False
    return True


def at_the_limit(nodes: int = engine.MAX_NODES, length: int = engine.MAX_LENGTH) -> str:
    """The largest function the playground accepts, of the stepping bench's kind: terms
    sin(kx+y) while the rest still fits, then a product x·y·x·… (one node a letter) up to
    `nodes` nodes within `length` characters."""
    unlimited = {"max_nodes": 10**6, "max_length": 10**6}
    terms: list[str] = []
    while True:
        longer = "+".join([*terms, f"sin({len(terms) + 1}x+y)"])
        count = len(engine.parse(longer, **unlimited).nodes)
        if count > nodes or len(longer) + 1 + (nodes - count) > length:
            break
        terms.append(f"sin({len(terms) + 1}x+y)")
    text = "+".join(terms)
    low, high = 0, length  # the longest product "+xyxy…" that still fits
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text + "+" + ("xy" * length)[:middle]):
            low = middle
        else:
            high = middle - 1
    return text + "+" + ("xy" * length)[:low] if low else text


def deck_time(
    text: str, first_steps: int | None, rounds: int = 3, *, diagram_ready: bool = False
) -> tuple[float, float]:
    """Median wall and CPU seconds of building the deck of `text` at 1 for every variable, as
    the playground does on a new function (its trace, then drawing.deck_data), with only its
    `first_steps` frames or whole (None). `diagram_ready`: its diagram (layout and steps' looks)
    already built, as for the whole deck that follows its first steps (ui/work.py)."""
    from drawing import build_diagram, deck_data

    graph = engine.parse(text)
    trace = graph.trace({v: 1.0 for v in graph.variables})
    ready = build_diagram(trace) if diagram_ready else None
    walls, cpus = [], []
    for _ in range(rounds + 1):  # the first also measures Graphviz's character widths
        wall, cpu = time.perf_counter(), time.process_time()
        if ready is None:
            graph = engine.parse(text)
            trace = graph.trace({v: 1.0 for v in graph.variables})
        deck_data(trace, title=text, first_steps=first_steps, diagram=ready)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls[1:]), statistics.median(cpus[1:])


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="times each function is typed")
    args = parser.parse_args()
    # Room for the rounds' trailing spaces within the Function box's length limit.
    largest = at_the_limit(length=engine.MAX_LENGTH - args.rounds)
    functions = [*COURSE, largest]

    load_before = load()
    process, url = start_app()
    took: dict[str, list[float]] = {text: [] for text in functions}
    arrived: dict[str, list[float]] = {text: [] for text in functions}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.add_init_script(ARRIVALS)
            page.goto(f"{url}/?expr=x%5E3")
            page.locator(".bp-stage svg").first.wait_for(timeout=180_000)
            idle = page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
            box = page.get_by_role("textbox", name="Function")
            for round_ in range(args.rounds):
                for text in functions:
                    idle.wait_for(timeout=180_000)
                    page.wait_for_timeout(300)
                    box.fill(text + " " * round_)
                    page.evaluate(WATCH, text)
                    box.press("Enter")
                    try:
                        page.wait_for_function(
                            "window.bpTyped !== undefined", timeout=180_000, polling=100
                        )
                    except Exception:
                        shown = page.locator(".bp-title").all_inner_texts()
                        print(f"{text!r} not shown after 180 s; the player shows {shown}")
                        raise
                    took[text].append(float(page.evaluate("window.bpTyped")))
                    sent = page.evaluate("window.bpArrived && window.bpArrived - window.bpEnter")
                    if sent:
                        arrived[text].append(float(sent))
                print(f"round {round_ + 1} of {args.rounds} done", flush=True)
            browser.close()
    finally:
        stop_app(process)
    load_after = load()
    from ui.work import FIRST_STEPS

    with cycle_collector_paused():  # as the app builds decks (ui/work.py)
        first_wall, first_cpu = deck_time(largest, FIRST_STEPS)
        deck_wall, deck_cpu = deck_time(largest, None)
        after_wall, after_cpu = deck_time(largest, None, diagram_ready=True)

    print()
    print(f"{'function':<28} {'nodes':>5}  {'median':>9}  each round")
    for text in functions:
        label = text if len(text) <= 28 else f"{text[:24]}…"
        rounds = "  ".join(f"{t:.0f}" for t in took[text])
        print(
            f"{label:<28} {nodes_of(text):>5}  {statistics.median(took[text]):>6.0f} ms  {rounds}"
        )
    course = statistics.median([t for text in COURSE for t in took[text]])
    limit = statistics.median(took[largest])
    print()
    print(
        f"course's functions, median of all typings   {course:6.0f} ms   "
        f"target < {TARGET_COURSE:.0f} ms  {'ok' if course < TARGET_COURSE else 'OVER'}"
    )
    print(
        f"at the node limit ({nodes_of(largest)} nodes, MAX_NODES {engine.MAX_NODES})"
        f"{'':>6}{limit:6.0f} ms   target < {TARGET_LIMIT:.0f} ms  "
        f"{'ok' if limit < TARGET_LIMIT else 'OVER'}"
    )
    if arrived[largest]:
        sent = statistics.median(arrived[largest])
        print(
            f"  of which until its deck reached the page {sent:6.0f} ms (the server's run, the "
            f"websocket), then the page {limit - sent:6.0f} ms (reading it, layout, paint)"
        )
    print(
        f"building its first {FIRST_STEPS} steps on the server (drawing.deck_data)  "
        f"{first_wall * 1000:6.0f} ms ({first_cpu * 1000:.0f} ms CPU); the whole deck, sent "
        f"after them, {after_wall * 1000:.0f} ms ({after_cpu * 1000:.0f} ms CPU) from their "
        f"diagram ({deck_wall * 1000:.0f} ms, {deck_cpu * 1000:.0f} ms CPU, built anew)"
    )
    print(f"load average (1, 5, 15 min): {load_before} before, {load_after} after the typing")


if __name__ == "__main__":
    main()
