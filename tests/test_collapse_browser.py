"""Collapsed boxes in a real browser: a click on one expands it, and the student stays on the
same node's step."""

from __future__ import annotations

import re
from urllib.parse import quote

from conftest import player_frame, screenshot

import engine
from engine.collapse import collapse, function_calls, subexpressions

NEURON = "sigmoid(w1*x1 + w2*x2 + w3*x3 + b)"


def open_player(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Next step").first.wait_for(timeout=60_000)
    idle(page)


def idle(page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=60_000
    )


def count(page) -> str:
    return player_frame(page).locator(".bp-count").inner_text()


def operation_boxes(page) -> int:
    return player_frame(page).locator("g.bp-node.bp-operation").count()


def test_clicking_a_collapsed_box_expands_it_on_the_same_step(page, app_url):
    root = subexpressions(engine.parse(NEURON))[-1].number
    collapsed = collapse(engine.parse(NEURON), [root - 1]).trace(
        {v: 1.0 for v in engine.parse(NEURON).variables}
    )
    expanded = engine.parse(NEURON).trace({v: 1.0 for v in engine.parse(NEURON).variables})
    # The box's backward step, the first of the backward pass: the box is the output.
    on_box = collapsed.phase_range("backward")[0]
    open_player(page, f"{app_url}/?expr={quote(NEURON)}&collapse={root}&step={on_box}")
    assert count(page) == f"Step {on_box} of {len(collapsed)}"
    assert operation_boxes(page) == 1
    box = player_frame(page).locator(f"g.bp-collapsed[data-expand='{root}']")
    assert "sigmoid(w1·x1 + w2·x2 + w3·x3 + b)" in box.locator("title").text_content()
    screenshot(page, "collapse-neuron-collapsed")
    box.click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('*')].some(e => e.shadowRoot &&
             e.shadowRoot.querySelectorAll('g.bp-node.bp-operation').length > 1)""",
        timeout=30_000,
    )
    idle(page)
    assert operation_boxes(page) == 7
    assert player_frame(page).locator("g.bp-collapsed").count() == 0
    # Still on the output's backward step, now of the expanded graph.
    assert count(page) == f"Step {expanded.phase_range('backward')[0]} of {len(expanded)}"
    page.wait_for_url(re.compile(r"^(?!.*collapse=)"), timeout=15_000)
    screenshot(page, "collapse-neuron-expanded")
    assert not page.errors


def test_every_function_call_and_enter_on_a_box(page, app_url):
    text = "sigmoid(w5*sigmoid(w1*x + w2*y + b1) + w6*tanh(w3*x + w4*y + b2) + b3)"
    graph = engine.parse(text)
    calls = function_calls(graph)
    open_player(page, f"{app_url}/?expr={quote(text)}")
    page.get_by_role("button", name="Collapse every function call").click()
    page.wait_for_url(re.compile(r"collapse="), timeout=30_000)
    idle(page)
    assert player_frame(page).locator("g.bp-collapsed").count() == len(calls) == 2
    screenshot(page, "collapse-two-neurons")
    # From the keyboard: Enter on a box expands it.
    box = player_frame(page).locator(f"g.bp-collapsed[data-expand='{calls[0] + 1}']")
    box.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        """() => [...document.querySelectorAll('*')].some(e => e.shadowRoot &&
             e.shadowRoot.querySelectorAll('g.bp-collapsed').length === 1)""",
        timeout=30_000,
    )
    idle(page)
    assert page.url.split("collapse=")[1].split("&")[0] == str(calls[1] + 1)
    assert not page.errors
