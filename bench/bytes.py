"""Bytes over the websocket: what opening the playground and each step cost the network.

Starts the real app, opens the playground in headless Chromium and counts the bytes of every
websocket frame the page receives (Playwright's `framereceived`):
- open: from navigation until the player is on screen and the script has finished;
- per step: clicking "Next step", then waiting until the player has reported the step and the
  page has finished its rerun (the step is in the URL), averaged over several steps;
- per value change: typing a new value for the first variable (a new deck: sent once).
Target: under 1 kB per step for any function; the deck sent once per function and point.

Run: .venv/bin/python bench/bytes.py
"""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app  # noqa: E402

import engine  # noqa: E402

LARGE = "+".join(f"sin({k}x + y)" for k in range(1, 40))  # 196 nodes
CASES = [("log(xy)+exp(xy)", "x=1&y=2"), (LARGE, "x=0.5&y=0.25")]
STEPS = 6
TARGET_STEP = 1000


def idle(page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=120_000
    )


def main() -> None:
    from playwright.sync_api import sync_playwright

    process, url = start_app()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(
                f"{'function':<24} {'nodes':>5}  {'open':>9}  {'per step':>9} "
                f"{'(target)':>9}  {'max step':>9}  {'value change':>12}"
            )
            for text, values in CASES:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                received: list[int] = []
                page.on(
                    "websocket",
                    lambda ws: ws.on(
                        "framereceived",
                        lambda frame: received.append(
                            len(frame) if isinstance(frame, (bytes, str)) else 0
                        ),
                    ),
                )
                nodes = len(engine.parse(text).nodes)
                page.goto(f"{url}/?expr={quote(text)}&{values}")
                next_step = page.get_by_role("button", name="Next step")
                next_step.wait_for(timeout=120_000)
                idle(page)
                page.wait_for_timeout(1500)
                opened = sum(received)
                per_step = []
                for k in range(1, STEPS + 1):
                    before = sum(received)
                    next_step.click()
                    page.wait_for_url(re.compile(rf"step={k}(&|$)"), timeout=30_000)
                    idle(page)
                    page.wait_for_timeout(600)
                    per_step.append(sum(received) - before)
                before = sum(received)
                field = page.get_by_role("spinbutton").first
                field.fill("0.75")
                field.press("Enter")
                page.wait_for_timeout(800)
                idle(page)
                page.wait_for_timeout(800)
                changed = sum(received) - before
                label = text if len(text) <= 24 else f"{text[:20]}…"
                mean = statistics.mean(per_step)
                print(
                    f"{label:<24} {nodes:>5}  {opened / 1000:>6.1f} kB  {mean:>6.0f} B "
                    f"{'< ' + str(TARGET_STEP) + ' B':>9}  {max(per_step):>6.0f} B "
                    f" {changed / 1000:>9.1f} kB  {'ok' if mean < TARGET_STEP else 'OVER'}"
                )
                page.close()
            browser.close()
    finally:
        stop_app(process)


if __name__ == "__main__":
    main()
