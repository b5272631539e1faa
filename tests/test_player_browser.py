"""The step player in a real browser: what-if keeps the step, zoom keeps the layout, the last
step's table fits its panel."""

from __future__ import annotations

import re

import pytest

from conftest import player_frame, screenshot

SEED = "expr=log(xy)%2Bexp(xy)&x=1&y=2"


def open_player(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Next step").first.wait_for(timeout=60_000)
    idle(page)


def idle(page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=60_000)


def count(page) -> str:
    return player_frame(page).locator(".bp-count").inner_text()


def set_value(page, name: str, value: str) -> None:
    field = page.get_by_role("spinbutton", name=name, exact=True)
    field.fill(value)
    field.press("Enter")


def box_texts(page) -> dict[str, str]:
    return page.locator(".bp-player g.bp-node").evaluate_all(
        "gs => Object.fromEntries(gs.map(g => [g.id, g.textContent]))")


def test_a_value_change_keeps_the_step_and_marks_what_changed(page, app_url):
    open_player(page, f"{app_url}/?{SEED}&step=21")
    assert count(page) == "Step 21 of 23"
    before = box_texts(page)
    set_value(page, "y", "3")
    # The new deck arrives: the numbers change, the step does not.
    page.wait_for_function(
        """() => [...document.querySelectorAll('*')].some(e => e.shadowRoot &&
             [...e.shadowRoot.querySelectorAll('g.bp-node text')].some(t => t.textContent.includes('3')))""",
        timeout=30_000)
    idle(page)
    assert count(page) == "Step 21 of 23"
    after = box_texts(page)
    changed = {k for k in before if before[k] != after[k]}
    assert changed, "no box shows another number after y changed"
    marked = set(page.locator(".bp-player g.bp-changed").evaluate_all(
        "gs => gs.map(g => g.id)"))
    assert marked & changed
    assert {e for e in marked if e.startswith("bp-n")} <= changed
    assert player_frame(page).locator(".bp-changed-mark").inner_text() == "changed"
    page.wait_for_url(re.compile(r"y=3"), timeout=15_000)
    assert re.search(r"step=21(&|$)", page.url)
    screenshot(page, "player-what-if")
    assert not page.errors


def test_the_url_follows_the_step_without_a_rerun(page, app_url):
    open_player(page, f"{app_url}/?{SEED}")
    sent: list[int] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(1)))
    page.get_by_role("button", name="Next step").click()
    page.get_by_role("button", name="Next step").click()
    page.wait_for_url(re.compile(r"step=2(&|$)"), timeout=15_000)
    assert count(page) == "Step 2 of 23"
    # A rerun caused by something else keeps the address on the player's step.
    set_value(page, "x", "1.5")
    idle(page)
    page.wait_for_url(re.compile(r"x=1.5"), timeout=15_000)
    assert re.search(r"step=2(&|$)", page.url)
    assert count(page) == "Step 2 of 23"
    assert not page.errors
