"""First load: navigation to the diagram on screen, beside a one-line Streamlit page.

Starts two servers side by side, the real app (`streamlit run app.py`) and a page that is one
line, `st.write("hello")` (a temporary file), and opens each in a fresh headless Chromium context
(no cache, no cookies: a first visit) at 1280×800, alternating between the two. In the page, from
the start of navigation (performance.now), every animation frame looks for
- the app: the player's diagram rendered: its <svg> with its boxes, at a size above zero;
- the one-line page: the text "hello" at a size above zero.
Both servers are warmed once before the runs that count (the app's first visitor after a start
pays for imports and the deck's cache). Printed: each run, the medians, and their ratio beside
the target (the app within 1.5× of the one-line page), and the machine's load average.

Run: .venv/bin/python bench/first_load.py [--runs 7] [--path "/?expr=sin(x%5E2)&x=3"]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app  # noqa: E402

TARGET = 1.5
VIEWPORT = {"width": 1280, "height": 800}
HELLO = 'import streamlit as st\n\nst.write("hello")\n'

# Runs before any of the page's own scripts; `WANT` is "player" or "hello". The time is that of
# the first animation frame in which the element is there with a size (just before its paint).
WATCH = """(() => {
  const want = "WANT";
  const sized = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const player = () => {
    let svg = document.querySelector(".bp-stage svg");
    if (!svg) {
      // Streamlit's components v2 mount in a shadow root of an isolated host element.
      for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
        if (host.shadowRoot) svg = host.shadowRoot.querySelector(".bp-stage svg");
        if (svg) break;
      }
    }
    return svg && svg.querySelector("g[id^='bp-']") && sized(svg);
  };
  const hello = () => [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
    .some((e) => e.textContent.trim() === "hello" && sized(e));
  const found = want === "player" ? player : hello;
  const tick = () => {
    if (found()) { window.bpShownAt = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();"""


def shown_after(browser, url: str, want: str, timeout_ms: int = 120_000) -> float:
    """Milliseconds from navigation to `want` on screen, in a fresh browser context."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.add_init_script(WATCH.replace("WANT", want))
        page.goto(url, wait_until="commit")
        page.wait_for_function("window.bpShownAt !== undefined", timeout=timeout_ms, polling=50)
        return float(page.evaluate("window.bpShownAt"))
    finally:
        context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each page that count")
    parser.add_argument("--path", default="/", help="the app's page to open (default: playground)")
    args = parser.parse_args()
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "hello.py").write_text(HELLO, "utf-8")
        streamlit = str(Path(sys.executable).parent / "streamlit")
        hello_process, hello_url = start_app(
            cwd=Path(folder), command=[streamlit, "run", "hello.py"]
        )
        try:
            app_process, app_url = start_app()
        except Exception:
            stop_app(hello_process)
            raise
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                app_page = app_url + args.path
                shown_after(browser, app_page, "player")  # warm: imports and the deck's cache
                shown_after(browser, hello_url + "/", "hello")
                app, hello = [], []
                for run in range(args.runs):
                    # Alternate which goes first, so that neither always follows the other.
                    order = [("app", app_page), ("hello", hello_url + "/")]
                    for name, url in order if run % 2 == 0 else order[::-1]:
                        took = shown_after(browser, url, "player" if name == "app" else "hello")
                        (app if name == "app" else hello).append(took)
                    print(
                        f"run {run + 1}: app {app[-1]:7.0f} ms   one-line page {hello[-1]:7.0f} ms",
                        flush=True,
                    )
                browser.close()
        finally:
            stop_app(app_process)
            stop_app(hello_process)

    app_median, hello_median = statistics.median(app), statistics.median(hello)
    ratio = app_median / hello_median
    print()
    print(f"page opened: {args.path}   viewport {VIEWPORT['width']}×{VIEWPORT['height']}")
    print(
        "load average (1, 5, 15 min): "
        + " ".join(f"{x:.1f}" for x in load_before)
        + " before, "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
        + " after (the machine's other work slows both pages; the ratio is the steadier figure)"
    )
    print(f"{'navigation → diagram on screen (app)':<44} {app_median:7.0f} ms median")
    print(f"{'navigation → text on screen (one-line page)':<44} {hello_median:7.0f} ms median")
    print(
        f"{'ratio':<44} {ratio:7.2f}×   target ≤ {TARGET}×  {'ok' if ratio <= TARGET else 'OVER'}"
    )


if __name__ == "__main__":
    main()
