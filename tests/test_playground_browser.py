"""The playground in a real browser: type, step to the end, open a link, hold the picture still."""

from __future__ import annotations

import math
import re

from conftest import player_frame, screenshot
from playwright.sync_api import expect

import engine

# How many steps the player walks for sin(x²): the engine's trace, whose contents other tests
# check; here the player must show every one of them.
CHAIN_STEPS = len(engine.parse("sin(x^2)").trace({"x": 3.0}))


def open_app(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Next step").wait_for(timeout=60_000)


def node_texts(page) -> list[str]:
    return page.locator(".bp-player g.bp-node text").all_text_contents()


def node_boxes(page) -> list[tuple[float, ...]]:
    """Each box's geometry in the diagram's own units (strokes, which change width, excluded)."""
    return page.locator(".bp-player g.bp-node > path").evaluate_all(
        "paths => paths.map(p => { const b = p.getBBox(); "
        "return [p.parentNode.id, b.x, b.y, b.width, b.height]; })"
    )


def test_type_step_to_the_end_and_read_the_gradient(page, app_url):
    """Type the chain-rule example over the default function and step through all of it."""
    open_app(page, app_url)
    function = page.get_by_role("textbox", name="Function", exact=True)
    function.fill("sin(x^2)")
    function.press("Enter")
    field = page.get_by_role("spinbutton", name="x", exact=True)
    field.fill("3")
    field.press("Enter")
    # The deck at x = 3 replaces the one at x = 1 (same shape, wider numbers) in place.
    page.wait_for_url(re.compile(r"[?&]x=3(&|$)"), timeout=15_000)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    player = player_frame(page)
    expect(player).to_contain_text(f"Step 0 of {CHAIN_STEPS}", timeout=15_000)
    expect(page.get_by_role("spinbutton", name="y", exact=True)).to_have_count(0)
    next_step = page.get_by_role("button", name="Next step")
    start = node_boxes(page)
    steps = 0
    while next_step.is_enabled():
        next_step.click()
        steps += 1
        assert node_boxes(page) == start, f"a node moved at step {steps}"
    assert steps == CHAIN_STEPS
    assert f"Step {steps} of {steps}" in player.inner_text()
    # The oracle: d/dx sin(x²) = 2x·cos(x²), at 3 that is 6·cos 9 ≈ −5.4668 (4 figures shown).
    derivative = f"{abs(6 * math.cos(9)):.4g}"
    assert derivative == "5.467"
    assert any(derivative in text for text in node_texts(page))
    explanation = page.locator(".bp-explain").inner_text()
    assert derivative in explanation
    screenshot(page, "playground-end")
    assert not page.errors


def test_a_large_function_shows_its_first_steps_then_every_step(page, app_url):
    """At the node limit the diagram comes with its first steps; the rest follows by itself,
    and a step asked for meanwhile (the last) is where the player then goes."""
    from bench.typing_speed import at_the_limit
    from ui.work import FIRST_STEPS

    text = at_the_limit()
    steps = len(engine.parse(text).trace({"x": 1.0, "y": 1.0}))
    # A slow network, under the test's control: the message with the whole deck (4 MB; its first
    # steps come in 1.3 MB) and every message after it wait until let go.
    held: list = []
    to_page: list = []
    let_go = False

    def slow_network(route) -> None:
        server = route.connect_to_server()
        route.on_message(server.send)
        to_page.append(route)

        def from_server(message) -> None:
            if held or (len(message) > 2_500_000 and not let_go):
                held.append(message)  # in order, behind those held already
            else:
                route.send(message)

        server.on_message(from_server)

    page.route_web_socket(re.compile(r"/_stcore/stream"), slow_network)
    open_app(page, app_url)
    function = page.get_by_role("textbox", name="Function", exact=True)
    function.fill(text)
    function.press("Enter")
    count = page.locator(".bp-count")
    slider = page.get_by_role("slider", name="Step")
    expect(count).to_have_text(f"Step 0 of {steps}", timeout=60_000)
    # Too large to fit at a readable size: the view starts at the inputs, where the forward
    # pass begins, not at the picture's empty corner.
    page.wait_for_timeout(500)
    stage = page.locator(".bp-stage").bounding_box()
    x_box = page.locator(".bp-stage g.bp-variable").first.bounding_box()
    assert stage and x_box
    middle = (x_box["x"] + x_box["width"] / 2, x_box["y"] + x_box["height"] / 2)
    assert stage["x"] < middle[0] < stage["x"] + stage["width"]
    assert stage["y"] < middle[1] < stage["y"] + stage["height"]
    # The steps at hand so far: the slider reaches as far as they go, the count names them all.
    # The whole deck is on its way (held); the last step, asked for now, says so.
    for _ in range(600):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the page never sent the whole deck"
    expect(slider).to_have_attribute("max", str(FIRST_STEPS - 1))
    page.get_by_role("button", name="Last step").click()
    expect(page.locator(".bp-arriving")).to_have_text(
        f"Step {steps} is on its way: the player goes there as soon as the remaining steps arrive."
    )
    expect(count).to_have_text(f"Step {FIRST_STEPS - 1} of {steps}")
    let_go = True
    while held:  # each stays in the list while it is sent, so later ones queue behind it
        to_page[-1].send(held[0])
        held.pop(0)
    expect(slider).to_have_attribute("max", str(steps), timeout=60_000)
    expect(count).to_have_text(f"Step {steps} of {steps}")
    expect(page.locator(".bp-arriving")).to_have_count(0)
    expect(page.locator(".bp-explain .bp-check")).to_be_visible()
    assert not page.errors


def test_a_link_opens_on_its_step(page, app_url):
    open_app(page, f"{app_url}/?expr=log(xy)%2Bexp(xy)&x=1&y=2&step=12")
    player = player_frame(page)
    assert "Step 12 of 23" in player.inner_text()
    assert page.locator(".bp-phase").inner_text() == "Topological order"
    # Step 12 finishes × (v₃): x, y and v₃ are in the order strip.
    chips = [c for c in page.locator(".bp-chip").all_text_contents() if c]
    assert chips == ["x", "y", "v₃"]
    screenshot(page, "playground-step-12")
    assert not page.errors


def test_keyboard_steps_and_the_url_follows(page, app_url):
    open_app(page, f"{app_url}/?expr=sin(x%5E2)&x=3")
    page.locator(".bp-stage").click()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert f"Step 3 of {CHAIN_STEPS}" in player_frame(page).inner_text()
    page.keyboard.press("ArrowLeft")
    assert f"Step 2 of {CHAIN_STEPS}" in player_frame(page).inner_text()
    # The player reports its step; the page writes it into the URL.
    page.wait_for_url(re.compile(r"step=2"), timeout=15_000)
    page.keyboard.press(" ")
    assert page.get_by_role("button", name="Pause").is_visible()
    page.keyboard.press(" ")
    assert page.get_by_role("button", name="Play").is_visible()
