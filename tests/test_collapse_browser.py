"""Collapsed boxes in a real browser: a click on one expands it, and the student stays on the
same node's step; so do collapsing and expanding in the Collapse control and hiding constants."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

from conftest import assert_step_in_view, idle, open_player, player_frame, screenshot

import engine
from drawing.diagram import node_id
from engine.collapse import collapse, function_calls, inside, subexpressions
from engine.explain import explain

NEURON = "sigmoid(w1*x1 + w2*x2 + w3*x3 + b)"


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
    # The page's address, which the player's "Copy link" copies, holds that step.
    page.wait_for_url(
        re.compile(rf"^(?!.*collapse=).*step={expanded.phase_range('backward')[0]}(&|$)"),
        timeout=15_000,
    )
    # The step's box, the output, is in the visible part of the diagram.
    assert_step_in_view(page)
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
    # From the keyboard: Enter on a box, on the box's forward step, expands it; the student
    # goes on from the first forward step of its inside.
    both = collapse(graph, list(calls))
    values = {v: 1.0 for v in graph.variables}
    on_box = next(
        j
        for j, s in enumerate(both.trace(values).steps, 1)
        if s.phase == "forward" and both.original[s.node] == calls[0]
    )
    player_frame(page).locator(".bp-slider").evaluate(
        "(slider, k) => { slider.value = k; slider.dispatchEvent(new Event('input')); }",
        str(on_box),
    )
    assert count(page).startswith(f"Step {on_box} of ")
    one = collapse(graph, [calls[1]])
    one_trace = one.trace(values)
    inner = set(inside(graph, calls[0]))
    first = next(
        j
        for j, s in enumerate(one_trace.steps, 1)
        if s.phase == "forward" and one.original[s.node] in inner
    )
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
    assert count(page) == f"Step {first} of {len(one_trace)}"
    page.wait_for_url(re.compile(rf"step={first}(&|$)"), timeout=15_000)
    assert not page.errors


# -- the Collapse control and Hide constants keep the student's place --------------------------

SEED = "log(xy)+exp(xy)"


def shown_step(page) -> tuple[str, str, str]:
    """The step count, the explanation's heading and the SVG id of the box the step is about."""
    frame = player_frame(page)
    current = frame.locator("svg g.bp-node.bp-current")
    return (
        count(page),
        frame.locator(".bp-explain h3").inner_text(),
        current.first.get_attribute("id") if current.count() == 1 else "",
    )


def expected(trace: engine.Trace, k: int, node: int) -> tuple[str, str, str]:
    """What the player shows on step k of `trace` (node: the step's node id in its graph)."""
    return f"Step {k} of {len(trace)}", explain(trace, k).title, node_id(node)


def step_when_settled(page, want: tuple[str, str, str], timeout: float = 15) -> tuple:
    """The step the player shows once it has drawn a new deck: `want` as soon as it shows it,
    else what it shows after `timeout` seconds (its count, heading and box are drawn in the
    frames after the deck arrives)."""
    deadline = time.monotonic() + timeout
    while (shown := shown_step(page)) != want and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return shown


def wait_for_boxes(page, boxes: int) -> None:
    page.wait_for_function(
        """(n) => [...document.querySelectorAll('*')].some(e => e.shadowRoot &&
             e.shadowRoot.querySelectorAll('g.bp-node.bp-operation').length === n)""",
        arg=boxes,
        timeout=30_000,
    )
    idle(page)


def look(page, name: str) -> None:
    page.keyboard.press("Escape")  # the Collapse control's list, if open
    page.set_viewport_size({"width": 1280, "height": 800})
    page.evaluate("() => { document.querySelector('[data-testid=stMain]').scrollTop = 0; }")
    page.wait_for_timeout(300)
    screenshot(page, name)


def test_collapsing_in_the_control_keeps_the_step_and_removing_it_comes_back(page, app_url):
    graph = engine.parse(SEED)
    values = {"x": 1.0, "y": 2.0}
    full = graph.trace(values)
    exp = next(n.id for n in graph.nodes if n.label == "exp")
    # A backward step of exp's branch, and the root, the one subexpression to collapse.
    (k,) = [j for j, s in enumerate(full.steps, 1) if s.phase == "backward" and s.node == exp]
    (whole,) = subexpressions(graph)
    collapsed_graph = collapse(graph, [whole.node])
    collapsed = collapsed_graph.trace(values)
    box = collapsed_graph.original.index(whole.node)
    (on_box,) = [
        j for j, s in enumerate(collapsed.steps, 1) if s.phase == "backward" and s.node == box
    ]

    open_player(page, f"{app_url}/?expr={quote(SEED)}&x=1&y=2&step={k}")
    before = shown_step(page)
    assert before == expected(full, k, exp)
    page.get_by_role("combobox", name="Collapse").click()
    page.get_by_role("option", name=whole.text).click()
    wait_for_boxes(page, 1)
    # exp is inside the box now: the box's backward step
    want = expected(collapsed, on_box, box)
    assert step_when_settled(page, want) == want
    page.wait_for_url(
        re.compile(rf"collapse={whole.number}.*step={on_box}|step={on_box}.*collapse")
    )
    look(page, "collapse-control-kept-step")
    page.get_by_role("button", name=f"Remove {whole.text}").click()
    wait_for_boxes(page, 4)
    assert step_when_settled(page, before) == before
    page.wait_for_url(re.compile(rf"^(?!.*collapse=).*step={k}(&|$)"))
    look(page, "collapse-control-back-on-step")
    assert not page.errors


def test_hiding_constants_keeps_the_step_and_showing_them_comes_back(page, app_url):
    text = "2x + 3y"
    graph = engine.parse(text)
    values = {"x": 1.0, "y": 2.0}
    full = graph.trace(values)
    three = next(n.id for n in graph.nodes if n.label == "3")
    times = next(n.id for n in graph.nodes if three in n.args)
    hidden_graph = collapse(graph, hide_constants=True)
    hidden = hidden_graph.trace(values)
    box = hidden_graph.original.index(times)

    def step_of(trace, node, phase, action=None):
        return next(
            j
            for j, s in enumerate(trace.steps, 1)
            if s.phase == phase and s.node == node and getattr(s, "action", None) == action
        )

    # The search entering the constant 3: hidden, it is written into 3·y, entered instead.
    k = step_of(full, three, "order", "enter")
    open_player(page, f"{app_url}/?expr={quote(text)}&x=1&y=2&step={k}")
    before = shown_step(page)
    assert before == expected(full, k, three)
    toggle = page.get_by_text("Hide constants", exact=True)
    toggle.click()
    # Hidden or not, 2x + 3y has three operations: the constants tell the decks apart.
    page.wait_for_function(
        """() => [...document.querySelectorAll('*')].some(e => e.shadowRoot &&
             e.shadowRoot.querySelectorAll('g.bp-constant').length === 0)""",
        timeout=30_000,
    )
    idle(page)
    want = expected(hidden, step_of(hidden, box, "order", "enter"), box)
    assert step_when_settled(page, want) == want
    look(page, "hide-constants-kept-step")
    toggle.click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('*')].some(e => e.shadowRoot &&
             e.shadowRoot.querySelectorAll('g.bp-constant').length === 2)""",
        timeout=30_000,
    )
    idle(page)
    assert step_when_settled(page, before) == before

    # A backward step of 3·y: the same step with and without its constant.
    player_frame(page).locator(".bp-slider").evaluate(
        "(slider, k) => { slider.value = k; slider.dispatchEvent(new Event('input')); }",
        str(step_of(full, times, "backward")),
    )
    before = shown_step(page)
    assert before == expected(full, step_of(full, times, "backward"), times)
    toggle.click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('*')].some(e => e.shadowRoot &&
             e.shadowRoot.querySelectorAll('g.bp-constant').length === 0)""",
        timeout=30_000,
    )
    idle(page)
    want = expected(hidden, step_of(hidden, box, "backward"), box)
    assert step_when_settled(page, want) == want
    assert not page.errors
