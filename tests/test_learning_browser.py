"""The gradient-descent and PyTorch lessons in a real browser: they open by their URL, a
gradient step taken by clicking lowers the loss, and every box carries its autograd name."""

from __future__ import annotations

import re

from conftest import player_frame, screenshot
from test_lessons_browser import wait_rendered


def shown_loss(page) -> float:
    text = page.get_by_text(re.compile(r"^loss = ")).first.inner_text()
    return float(text.removeprefix("loss = "))


def test_a_gradient_step_by_click_lowers_the_loss(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app_url}/gradient-descent")
    page.get_by_role("heading", name="Gradient descent", exact=True).wait_for(timeout=60_000)
    wait_rendered(page)
    player_frame(page).wait_for(timeout=60_000)
    before = shown_loss(page)
    screenshot(page, "gradient-descent-1280")
    page.get_by_role("button", name="Take a gradient step").click()
    page.get_by_text("step 1", exact=True).wait_for(timeout=60_000)
    wait_rendered(page)
    assert shown_loss(page) < before
    assert page.get_by_text(re.compile(r"w ← w − lr · ∂L/∂w = 0\.5 − 0\.5 ·")).count() == 1
    assert "steps=1" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    # Train runs steps on its own at the chosen pace until paused.
    page.get_by_role("button", name="Train").click()
    page.get_by_text(re.compile(r"^step [3-9]\d* · training…$")).wait_for(timeout=60_000)
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Train").wait_for(timeout=60_000)
    wait_rendered(page)
    trained = int(page.get_by_text(re.compile(r"^step \d+$")).inner_text().split()[1])
    assert trained >= 3 and f"steps={trained}" in page.url
    page.set_viewport_size({"width": 1280, "height": 2600})
    screenshot(page, "gradient-descent-trained-full")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(800)
    screenshot(page, "gradient-descent-phone")
    assert not page.errors


def test_the_pytorch_lesson_names_every_box(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app_url}/pytorch")
    page.get_by_role("heading", name="The same boxes in PyTorch", exact=True).wait_for(
        timeout=60_000
    )
    wait_rendered(page)
    player = player_frame(page)
    player.wait_for(timeout=60_000)
    for name in ("AccumulateGrad", "MulBackward0", "LogBackward0", "ExpBackward0", "AddBackward0"):
        player.get_by_text(name, exact=True).first.wait_for(timeout=10_000)
    assert player.get_by_text("AccumulateGrad", exact=True).count() == 2
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "pytorch-1280")
    page.set_viewport_size({"width": 1280, "height": 2400})
    screenshot(page, "pytorch-full")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(800)
    screenshot(page, "pytorch-phone")
    assert not page.errors
