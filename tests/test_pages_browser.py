"""Page behaviour that only a browser shows: a link's warning that stays while the player
reports its steps, and the practice player held at the open question."""

from __future__ import annotations

import re

import pytest
from conftest import player_frame, screenshot


def settle(page) -> None:
    page.get_by_role("button", name="Next step").first.wait_for(timeout=60_000)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=60_000
    )


@pytest.mark.parametrize(
    "path", ["chain-rule?x=abc", "backpropagation?x=one&step=3", "?expr=sin(x%5E2)&x=3&mode=magic"]
)
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
            timeout=60_000
        )
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


LESSONS = ["chain-rule", "backpropagation", "topological-sort", "forward-mode", "practice"]


@pytest.mark.parametrize("path", LESSONS)
def test_every_lesson_embeds_in_a_slide_and_presents(browser, app_url, path):
    context = browser.new_context(viewport={"width": 960, "height": 540})
    page = context.new_page()
    try:
        for view in ("embed", "present"):
            page.goto(f"{app_url}/{path}?{view}=true")
            settle(page)
            page.wait_for_timeout(500)
            box = page.locator(".st-key-lesson-player .bp-player").bounding_box()
            if view == "embed":  # the player fits the iframe, with nothing else around it
                assert box["x"] >= 0 and box["x"] + box["width"] <= 960
                assert box["y"] >= 0 and box["y"] + box["height"] <= 540
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
            assert page.locator("h1").filter(visible=True).count() == 0
            assert page.locator('[data-testid="stPlotlyChart"]').filter(visible=True).count() == 0
            assert page.locator(".st-key-lesson-player .bp-explain").is_visible()
            screenshot(page, f"lesson-{path}-{view}-960x540")
    finally:
        context.close()


def test_a_lessons_link_embed_code_and_slides_are_under_its_player(page, app_url):
    page.goto(f"{app_url}/backpropagation?x=0.5&y=1.5&step=4")
    settle(page)
    page.get_by_text("Link to this lesson, embed it in a slide").click()
    # Written when the expander opens: the page runs again to fill it.
    page.locator('[data-testid="stCode"]').filter(has_text="<iframe").wait_for(timeout=60_000)
    codes = page.locator('[data-testid="stCode"]').all_inner_texts()
    link = next(c for c in codes if c.startswith("http"))
    assert "x=0.5" in link and "y=1.5" in link
    assert any("<iframe" in c and "embed=true" in c for c in codes)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Download slides (HTML)").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.startswith("<!DOCTYPE html>") and "log(xy)+exp(xy)" in text
    assert not page.errors
