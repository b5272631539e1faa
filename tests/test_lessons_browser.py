"""Every lesson page in a real browser, opened by its own URL: it renders, shows no error, and
leaves a screenshot (under screenshots/) to look at."""

from __future__ import annotations

import pytest
from conftest import screenshot

# (url path, heading, whether the page has a step player)
LESSONS = [
    ("central-difference", "Central difference", False),
    ("chain-rule", "Chain rule", True),
    ("backpropagation", "Backpropagation", True),
    ("topological-sort", "Topological sort: why the order matters", True),
    ("forward-mode", "Forward mode", True),
    ("practice", "Practice: predict the backward pass", True),
]


def wait_rendered(page) -> None:
    """Until the script has finished its run and its charts and tables have drawn."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=60_000
    )
    for chart in page.locator('[data-testid="stPlotlyChart"]').all():
        chart.locator(".main-svg").first.wait_for(timeout=60_000)
    for table in page.locator('[data-testid="stDataFrame"]').all():
        table.locator("canvas").first.wait_for(timeout=60_000)
    # Two animation frames: the last layout has been painted before the screenshot.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


@pytest.mark.parametrize("path, heading, has_player", LESSONS)
def test_a_lesson_opens_by_its_url(page, app_url, path, heading, has_player):
    # Tall enough to hold the whole lesson in one screenshot.
    page.set_viewport_size({"width": 1400, "height": 3400})
    page.goto(f"{app_url}/{path}")
    page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=60_000)
    wait_rendered(page)
    if has_player:
        page.get_by_role("button", name="Next step").first.wait_for(timeout=60_000)
    else:
        page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, f"lesson-{path}")
    assert not page.errors


def test_a_lesson_link_with_a_bad_value_warns(page, app_url):
    page.goto(f"{app_url}/chain-rule?x=abc&outer=magic")
    page.get_by_role("heading", name="Chain rule", exact=True).wait_for(timeout=60_000)
    wait_rendered(page)
    warning = page.locator('[data-testid="stAlert"]').first
    assert "The link's x='abc' is not a number" in warning.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not page.errors
