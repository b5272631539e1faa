"""Page behaviour that only a browser shows: a link's warning that stays while the player
reports its steps, and the practice player held at the open question."""

from __future__ import annotations

import re

import pytest

from conftest import player_frame, screenshot


def settle(page) -> None:
    page.get_by_role("button", name="Next step").first.wait_for(timeout=60_000)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=60_000)


@pytest.mark.parametrize("path", ["chain-rule?x=abc", "backpropagation?x=one&step=3",
                                  "?expr=sin(x%5E2)&x=3&mode=magic"])
def test_a_links_warning_stays_while_the_player_steps(page, app_url, path):
    page.goto(f"{app_url}/{path}")
    settle(page)
    warning = page.locator('[data-testid="stAlert"]').filter(has_text="partly unreadable")
    assert warning.count() == 1
    # Each step is reported to the server after 400 ms, which runs the page again.
    for _ in range(3):
        page.get_by_role("button", name="Next step").first.click()
        page.wait_for_url(re.compile(r"step=\d"), timeout=15_000)
        page.wait_for_timeout(600)
        page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
            timeout=60_000)
        assert warning.count() == 1 and warning.first.is_visible()
    screenshot(page, "link-warning-after-steps-" + re.sub(r"\W+", "-", path).strip("-"))
    assert not page.errors


def test_practice_cannot_step_past_the_open_question(page, app_url):
    page.goto(f"{app_url}/practice?expr=sin(x%5E2)&x=3")
    settle(page)
    player = player_frame(page)
    held = re.search(r"Step (\d+) of (\d+)", player.inner_text())
    step, last = int(held.group(1)), int(held.group(2))
    assert step < last
    assert page.get_by_role("button", name="Next step").is_disabled()
    assert page.get_by_role("button", name="Last step").is_disabled()
    page.locator(".bp-stage").click()
    page.keyboard.press("End")
    page.keyboard.press("ArrowRight")
    assert f"Step {step} of {last}" in player.inner_text()
    # Answered: the step asked about is shown, and no further.
    page.get_by_role("spinbutton", name="Your answer").fill("-0.9111")
    page.get_by_role("button", name="Check").click()
    page.get_by_text("Right").first.wait_for(timeout=60_000)
    settle(page)
    assert f"Step {step + 1} of {last}" in player_frame(page).inner_text()
    assert page.get_by_role("button", name="Next step").is_disabled()
    assert not page.errors
