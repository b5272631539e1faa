"""How fast stepping feels: click on "Next step" to updated diagram, and the pace of play.

Starts the real app, opens it in headless Chromium and measures, for a small and a large function:
- click to updated diagram: from the click to the next painted frame after the diagram changed,
  timed inside the page (performance.now), median and 95th percentile;
- the same seen from outside, Playwright's click until the step counter shows the new step;
- play at 0.5 s per step: the mean and worst interval between steps.
Targets: under 100 ms median (log(xy)+exp(xy)), under 300 ms (200 nodes), play within ±20%.

Run: .venv/bin/python bench/stepping.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app  # noqa: E402

import engine  # noqa: E402

LARGE = "+".join(f"sin({k}x + y)" for k in range(1, 40))  # 196 nodes
CASES = [("log(xy)+exp(xy)", "x=1&y=2"), (LARGE, "x=0.5&y=0.25")]

CLICK_TO_PAINT = """async (count) => {
  const root = document.querySelector('.bp-player') ? document :
    [...document.querySelectorAll('*')]
      .find(e => e.shadowRoot && e.shadowRoot.querySelector('.bp-player')).shadowRoot;
  const next = root.querySelector('[aria-label="Next step"]');
  const first = root.querySelector('[aria-label="First step"]');
  first.click();
  const times = [];
  for (let i = 0; i < count && !next.disabled; i++) {
    const t0 = performance.now();
    next.click();
    await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
    times.push(performance.now() - t0);
  }
  return times;
}"""

PLAY_PACE = """async (steps) => {
  const root = document.querySelector('.bp-player') ? document :
    [...document.querySelectorAll('*')]
      .find(e => e.shadowRoot && e.shadowRoot.querySelector('.bp-player')).shadowRoot;
  root.querySelector('[aria-label="First step"]').click();
  const speed = root.querySelector('.bp-speed');
  speed.value = '0.5'; speed.dispatchEvent(new Event('change'));
  const counter = root.querySelector('.bp-count');
  const stamps = [];
  const observer = new MutationObserver(() => stamps.push(performance.now()));
  observer.observe(counter, {childList: true, characterData: true, subtree: true});
  root.querySelector('[aria-label="Play"]').click();
  await new Promise(r => setTimeout(r, steps * 500 + 250));
  observer.disconnect();
  const pause = root.querySelector('[aria-label="Pause"]');
  if (pause) pause.click();
  const gaps = stamps.slice(1).map((t, i) => t - stamps[i]);
  return gaps;
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    from playwright.sync_api import sync_playwright

    process, url = start_app()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            print(
                f"{'function':<24} {'nodes':>5} {'steps':>5}  {'in-page median':>14} "
                f"{'p95':>7}  {'click→counter':>13}  {'play 0.5 s: mean':>16} {'worst':>6}"
            )
            for text, values in CASES:
                nodes = len(engine.parse(text).nodes)
                page.goto(f"{url}/?expr={quote(text)}&{values}")
                next_step = page.get_by_role("button", name="Next step")
                next_step.wait_for(timeout=120_000)
                page.wait_for_timeout(1000)
                in_page = page.evaluate(CLICK_TO_PAINT, 200)
                # From outside: Playwright's click until the counter shows the next step.
                page.get_by_role("button", name="First step").click()
                outside = []
                for k in range(1, 31):
                    t0 = time.perf_counter()
                    if not next_step.is_enabled():
                        break
                    next_step.click()
                    page.locator(".bp-count", has_text=f"Step {k} of").wait_for()
                    outside.append((time.perf_counter() - t0) * 1000)
                gaps = page.evaluate(PLAY_PACE, 10)
                label = text if len(text) <= 24 else f"{text[:20]}…"
                steps = page.locator(".bp-count").inner_text().split(" of ")[-1]
                print(
                    f"{label:<24} {nodes:>5} {steps:>5}  {statistics.median(in_page):>11.1f} ms "
                    f"{percentile(in_page, 0.95):>4.1f} ms  {statistics.median(outside):>10.1f} ms"
                    f"  {statistics.mean(gaps):>13.0f} ms {max(gaps):>4.0f} ms"
                )
            browser.close()
    finally:
        stop_app(process)


if __name__ == "__main__":
    main()
