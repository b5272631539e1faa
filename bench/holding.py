"""How smoothly holding a number field's + runs: the what-if loop of nudging x and watching.

Starts the real app, opens log(xy)+exp(xy) on its step 21 in headless Chromium, holds x's + for a
few seconds and records every frame the page draws (inside the page, performance.now): x's
field, the value on the diagram's x box, the player's step and whether the player is greyed out.
Prints beside its target:
- steps per second while held (at most 8.3: one step each 0.12 s after the first 0.45 s; each
  step waits for the run of the one before, so this is also how fast the app runs a value);
- the interval between steps, median and worst (steadiness);
- from a step to the diagram showing its value, median and worst;
- values x passed through that the diagram never drew, frames with the player greyed out or
  on another step, and steps after letting go.

Run: .venv/bin/python bench/holding.py [seconds held, default 3]
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, HELD_FRAMES, open_player, start_app, stop_app  # noqa: E402

URL = "/?expr=log(xy)%2Bexp(xy)&x=1&y=2&step=21"
STEP = "Step 21 of 23"


def number(text: str | None) -> float | None:
    return None if text is None else round(float(text.replace("−", "-")), 9)


def main() -> None:
    from playwright.sync_api import sync_playwright

    held_ms = 1000 * float(sys.argv[1]) if len(sys.argv) > 1 else 3000
    process, url = start_app()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            open_player(page, url + URL, timeout=120_000)
            page.wait_for_timeout(1000)
            field = page.get_by_role("spinbutton", name="x", exact=True)
            plus = page.get_by_test_id("stNumberInput").filter(has=field)
            box = plus.get_by_test_id("stNumberInputStepUp").bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.evaluate(HELD_FRAMES, field.element_handle())
            start = page.evaluate("performance.now()")
            page.mouse.down()
            page.wait_for_timeout(held_ms)
            page.mouse.up()
            page.wait_for_timeout(5000)  # the last step's run and its diagram
            frames = page.evaluate("window.heldFrames")
            release = page.evaluate("window.heldRelease")
            browser.close()
    finally:
        stop_app(process)

    changes: list[tuple[float, float]] = []  # (when, value) each time x's field changed
    for f in frames:
        value = number(f["field"])
        if value is not None and (not changes or changes[-1][1] != value):
            changes.append((f["t"], value))
    drawn_at: dict[float, float] = {}
    for f in frames:
        x = number(f["x"])
        if x is not None and x not in drawn_at:
            drawn_at[x] = f["t"]
    steps = [(t, v) for t, v in changes[1:] if t <= release["t"]]
    after = len(changes) - 1 - len(steps)
    held_s = (release["t"] - start) / 1000
    gaps = [b - a for (a, _), (b, _) in zip(steps, steps[1:], strict=False)]
    lags = [drawn_at[v] - t for t, v in changes[1:] if v in drawn_at]
    never = [v for _, v in changes if v not in drawn_at]
    greyed = sum(1 for f in frames if f["greyed"])
    moved = sum(1 for f in frames if f["step"] != STEP)

    def ms(values: list[float]) -> str:
        if not values:
            return "n/a"
        return f"median {statistics.median(values):4.0f} ms, worst {max(values):4.0f} ms"

    print(f"held x's + for {held_s:.1f} s: x from {changes[0][1]:g} to {changes[-1][1]:g}")
    print(f"steps per second while held  {len(steps) / held_s:5.2f}   target ≥ 4 (at most 8.3)")
    print(f"between steps                {ms(gaps)}   target: median ≤ 250 ms")
    print(f"step to its diagram          {ms(lags)}   target: median ≤ 250 ms")
    print(f"values never drawn           {len(never):5d}   target 0 {never or ''}")
    print(f"frames greyed out            {greyed:5d}   target 0 (of {len(frames)})")
    print(f"frames on another step       {moved:5d}   target 0")
    print(f"steps after letting go       {after:5d}   target 0")
    print(f"page errors                  {len(errors):5d}   target 0")


if __name__ == "__main__":
    main()
