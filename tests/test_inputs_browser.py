"""The inputs row and the first screen in a real browser, at 1280×800 and on a phone (390×844):
with 1, 3 and 12 variables every label is on one line and whole, each number field keeps its −
and + buttons, every option of a segmented control is whole (also on the chain-rule lesson),
nothing sticks out of the page; at 1280×800 the player's diagram and controls are on the first
screen; on a phone they come right after the Function box; a typed value is kept."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

import pytest
from conftest import HELD_FRAMES, idle, open_player, player_frame, screenshot

import engine

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NEURON_12 = "sigmoid(" + " + ".join(f"w{i}*x{i}" for i in range(1, 7)) + ")"
FUNCTIONS = {1: "sin(x^2)", 3: "sigmoid(w x + b)", 12: NEURON_12}

# Each label on the page: its text, the number of lines its words take (line boxes of its text
# nodes, apart by more than half a line), its text's widths (scrolled and shown) and height, and
# the height of one line.
LABELS = """() => [...document.querySelectorAll(
    '[data-testid="stMain"] label, [data-testid="stMain"] [data-testid="stWidgetLabel"]')]
  .filter((label) => label.offsetWidth > 0 && label.innerText.trim())
  .map((label) => {
    const text = label.querySelector("p") || label;
    const line = parseFloat(getComputedStyle(text).lineHeight) || 24;
    const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
    const tops = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) tops.push(r.top);
    }
    tops.sort((a, b) => a - b);
    const lines = tops.filter((top, i) => i === 0 || top - tops[i - 1] > line / 2).length;
    return {text: label.innerText.trim(), lines, scroll: text.scrollWidth,
            client: text.clientWidth, height: text.getBoundingClientRect().height, line};
  })"""


def open_page(page, url: str) -> None:
    open_player(page, url, timeout=90_000)
    page.wait_for_timeout(500)  # the player's layout after its mount


def settle(page) -> None:
    idle(page)
    page.wait_for_timeout(500)  # the player's layout after its mount


def assert_labels_whole(page, expected: set[str]) -> None:
    labels = page.evaluate(LABELS)
    shown = {label["text"] for label in labels}
    assert expected <= shown, f"labels missing: {expected - shown}"
    for label in labels:
        assert label["lines"] == 1, f"{label['text']!r} wraps onto {label['lines']} lines"
        assert label["height"] < 1.6 * label["line"], f"{label['text']!r} is taller than a line"
        assert label["scroll"] <= label["client"] + 1, f"{label['text']!r} is clipped"


# Each option of a segmented control whose box is cut by a box that clips it (a squeezed column
# scrolls or hides the options it has no room for): the option's text and both edges.
CUT_OPTIONS = """() => [...document.querySelectorAll(
    '[data-testid="stMain"] button[data-variant="segmented_control"]')]
  .filter((option) => option.offsetWidth > 0)
  .flatMap((option) => {
    const box = option.getBoundingClientRect();
    for (let up = option.parentElement; up; up = up.parentElement) {
      if (getComputedStyle(up).overflowX === "visible") continue;
      const clip = up.getBoundingClientRect();
      return box.left < clip.left - 1 || box.right > clip.right + 1
        ? [[option.innerText.trim(), box.left, box.right, clip.left, clip.right]] : [];
    }
    return [];
  })"""


def assert_options_whole(page, count: int) -> None:
    """`count` options of segmented controls are shown, none of them cut."""
    options = page.locator('[data-testid="stMain"] button[data-variant="segmented_control"]')
    assert options.count() == count
    assert page.evaluate(CUT_OPTIONS) == []


def assert_fields_whole(page, names: list[str]) -> None:
    """Every variable's field is on the page, inside the main column, with its − and +."""
    main = page.get_by_test_id("stMainBlockContainer").bounding_box()
    for name in names:
        field = page.get_by_test_id("stNumberInput").filter(
            has=page.get_by_role("spinbutton", name=name, exact=True)
        )
        box = field.bounding_box()
        assert (
            box["x"] >= main["x"] - 1 and box["x"] + box["width"] <= main["x"] + main["width"] + 1
        )
        assert field.get_by_test_id("stNumberInputStepUp").is_visible(), name
        assert field.get_by_test_id("stNumberInputStepDown").is_visible(), name
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= page.viewport_size["width"], "the page scrolls sideways"


@pytest.mark.parametrize("count", sorted(FUNCTIONS))
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
def test_playground_inputs_fit(sized, app_url, count, viewport):
    text = FUNCTIONS[count]
    names = engine.parse(text).variables
    assert len(names) == count
    page = sized(viewport)
    open_page(page, f"{app_url}/?expr={quote(text)}")
    assert_labels_whole(
        page, {*names, "Function", "Local derivatives", "Draw as a DAG", "Predict each step"}
    )
    assert_options_whole(page, 2)
    assert_fields_whole(page, list(names))
    shot = screenshot(page, f"inputs-playground-{count}-{viewport['width']}")
    assert shot.stat().st_size > 0
    if viewport is PHONE:
        # The diagram and its controls come right after the Function box (and what it reads
        # as); the values and options come under the player.
        function = page.get_by_role("textbox", name="Function", exact=True).bounding_box()
        head = player_frame(page).locator(".bp-head").bounding_box()
        first_value = page.get_by_role("spinbutton", name=names[0], exact=True).bounding_box()
        options = page.get_by_text("Local derivatives", exact=True).bounding_box()
        assert function["y"] < head["y"] < first_value["y"] and head["y"] < options["y"]
        assert head["y"] - (function["y"] + function["height"]) < 200
    assert not page.errors


@pytest.mark.parametrize(
    "path", ["/", "/?expr=log(xy)%2Bexp(xy)&x=1&y=2"], ids=["default", "log-exp-link"]
)
def test_player_on_the_first_screen(sized, app_url, path):
    page = sized(DESKTOP)
    open_page(page, app_url + path)
    player = player_frame(page)
    for part in (".bp-stage", ".bp-controls", ".bp-head"):
        box = player.locator(part).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= DESKTOP["height"], (part, box)
    assert page.get_by_role("button", name="Next step").first.is_visible()
    assert page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollTop") == 0
    screenshot(page, f"inputs-first-screen-{'default' if path == '/' else 'log-exp'}")
    assert not page.errors


# Each lesson with a field per variable, and how it labels a variable's field.
LESSONS = {
    "forward-mode": "{}",
    "practice": "{}",
    "pytorch": "{}",
    "gradient-descent": "{} at the start",
}


@pytest.mark.parametrize("page_path", sorted(LESSONS))
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
def test_lesson_inputs_fit_twelve_variables(sized, app_url, page_path, viewport):
    labels = [LESSONS[page_path].format(name) for name in engine.parse(NEURON_12).variables]
    page = sized(viewport)
    page.goto(f"{app_url}/{page_path}?expr={quote(NEURON_12)}")
    page.get_by_role("spinbutton", name=labels[-1], exact=True).wait_for(timeout=90_000)
    settle(page)
    assert_labels_whole(page, set(labels))
    assert_fields_whole(page, labels)
    screenshot(page, f"inputs-{page_path}-12-{viewport['width']}")
    assert not page.errors


def test_typed_values_are_kept_and_steps_nudge(sized, app_url):
    page = sized(DESKTOP)
    open_page(page, f"{app_url}/?expr=sin(x%5E2)&x=1")
    field = page.get_by_role("spinbutton", name="x", exact=True)
    for typed, in_link in (("0.3333", "0.3333"), ("1e-3", "0.001"), ("-2.71828", "-2.71828")):
        field.fill(typed)
        field.press("Enter")
        page.wait_for_url(re.compile(rf"[?&]x={re.escape(in_link)}(&|$)"), timeout=30_000)
        settle(page)
        assert float(field.input_value()) == float(typed)
        # The value is the player's too: its x box shows it, to 4 figures.
        shown = f"{float(typed):.4g}".replace("-", "−")
        assert shown in player_frame(page).locator("g.bp-node text").all_text_contents()
    # The + button nudges by the value's size: from 0.001 by 0.001, from 1 by 0.1.
    field.fill("0.001")
    field.press("Enter")
    page.wait_for_url(re.compile(r"[?&]x=0\.001(&|$)"), timeout=30_000)
    settle(page)
    stepper = page.get_by_test_id("stNumberInput").filter(has=field)
    stepper.get_by_test_id("stNumberInputStepUp").click()
    page.wait_for_url(re.compile(r"[?&]x=0\.002(&|$)"), timeout=30_000)
    settle(page)
    field.fill("1")
    field.press("Enter")
    page.wait_for_url(re.compile(r"[?&]x=1(&|$)"), timeout=30_000)
    settle(page)
    stepper.get_by_test_id("stNumberInputStepUp").click()
    page.wait_for_url(re.compile(r"[?&]x=1\.1(&|$)"), timeout=30_000)
    assert field.input_value() == "1.1"
    assert not page.errors


# What-if: hold x's + (or the up arrow in its field) on the course function, on a late step.
HELD = "/?expr=log(xy)%2Bexp(xy)&x=1&y=2&step=21"
HELD_STEP = "Step 21 of 23"
THROUGH = 1.4  # held until x has stepped from 1 through 1.1, 1.2 and 1.3 to here


def number(text: str) -> float:
    return round(float(text.replace("−", "-")), 9)


def assert_held_steadily(page, field) -> float:
    """x went up by one nudge at a time, the diagram followed each value, and the page kept
    the step and never greyed out the player; returns where x stopped."""
    idle(page)
    stopped = number(field.input_value())
    page.wait_for_url(re.compile(rf"[?&]x={re.escape(field.input_value())}(&|$)"))
    player_frame(page).locator("g#bp-n0 text[data-line='2']").filter(
        has_text=re.compile(rf"^{re.escape(field.input_value())}$")
    ).wait_for()
    frames = page.evaluate("window.heldFrames")
    fields = [number(f["field"]) for f in frames]
    # Up by one nudge (0.1) at a time: 1, 1.1, 1.2, …, every one a valid value.
    passed = list(dict.fromkeys(fields))
    assert passed == [round(1 + k / 10, 9) for k in range(len(passed))], passed
    assert fields == sorted(fields) and stopped == passed[-1] >= THROUGH
    # The diagram draws every value x passes through, each while x is at it or one nudge on:
    # it follows while the button is held, not only at the end, and never falls behind.
    drawn = [number(f["x"]) for f in frames]
    assert list(dict.fromkeys(drawn)) == passed
    for f, x in zip(fields, drawn, strict=True):
        assert x in (f, round(f - 0.1, 9)), (f, x)
    # The student stays on their step, and the player never greys out.
    assert {f["step"] for f in frames} == {HELD_STEP}
    assert not any(f["greyed"] for f in frames)
    assert not page.errors
    return stopped


def press(page, pointer: str, box: dict) -> Callable[[], None]:
    """Put the mouse's left button or a finger (a real touch, through the browser's input) down
    on the middle of `box`; returns what lets go."""
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    if pointer == "mouse":
        page.mouse.move(x, y)
        page.mouse.down()
        return page.mouse.up
    touch = page.context.new_cdp_session(page)
    point = {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]}
    touch.send("Input.dispatchTouchEvent", point)
    return lambda: touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


@pytest.mark.parametrize("pointer", ["mouse", "touch"])
def test_holding_plus_steps_steadily_and_the_diagram_follows(sized, app_url, pointer):
    """Held, with the mouse or a finger, x's + steps one nudge at a time, each value drawn
    before the next; let go, it stops where it is (the click the browser makes on letting go,
    after a touch a moment later, is no extra step)."""
    page = sized(DESKTOP, has_touch=pointer == "touch")
    open_page(page, app_url + HELD)
    field = page.get_by_role("spinbutton", name="x", exact=True)
    plus = page.get_by_test_id("stNumberInput").filter(has=field)
    plus = plus.get_by_test_id("stNumberInputStepUp")
    page.evaluate(HELD_FRAMES, field.element_handle())
    let_go = press(page, pointer, plus.bounding_box())
    page.wait_for_function(f"(f) => parseFloat(f.value) >= {THROUGH}", arg=field.element_handle())
    let_go()
    page.wait_for_timeout(1500)  # the browser's click after letting go of a touch comes later
    stopped = assert_held_steadily(page, field)
    assert number(page.evaluate("window.heldRelease.field")) == stopped
    # One click (one tap) is still one step.
    if pointer == "mouse":
        plus.click()
    else:
        plus.tap()
    after = str(round(stopped + 0.1, 9))
    page.wait_for_url(re.compile(rf"[?&]x={re.escape(after)}(&|$)"))
    page.wait_for_timeout(1500)
    idle(page)
    assert field.input_value() == after
    assert not page.errors
    screenshot(page, f"inputs-held-plus-{pointer}")


def test_holding_the_up_arrow_steps_steadily_and_the_diagram_follows(sized, app_url):
    """A held key repeats faster than the app runs: the repeats that come while a step's run
    is under way are passed over, so the value never runs ahead of the diagram."""
    page = sized(DESKTOP)
    open_page(page, app_url + HELD)
    field = page.get_by_role("spinbutton", name="x", exact=True)
    field.focus()
    page.evaluate(HELD_FRAMES, field.element_handle())
    keyboard = page.context.new_cdp_session(page)
    key = {"key": "ArrowUp", "code": "ArrowUp", "windowsVirtualKeyCode": 38}
    # A key held down: a first keydown, then repeats about 30 a second, until x is through.
    for repeat in range(3000):
        keyboard.send(
            "Input.dispatchKeyEvent", {"type": "rawKeyDown", **key, "autoRepeat": repeat > 0}
        )
        if number(field.input_value()) >= THROUGH:
            break
        page.wait_for_timeout(33)
    keyboard.send("Input.dispatchKeyEvent", {"type": "keyUp", **key})
    assert_held_steadily(page, field)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
def test_chain_rule_boxes_and_backwards_fit(sized, app_url, viewport):
    """The chain-rule lesson's row: x, each box and its backward (symbolic or numerical), whole,
    wrapping onto more rows rather than cutting an option's name."""
    page = sized(viewport)
    page.goto(f"{app_url}/chain-rule")
    page.get_by_role("spinbutton", name="x", exact=True).wait_for(timeout=90_000)
    settle(page)
    assert_labels_whole(
        page,
        {"x", "Inner box (applied first)", "Inner backward", "Outer box (applied second)"},
    )
    assert_options_whole(page, 4)
    assert_fields_whole(page, ["x"])
    screenshot(page, f"inputs-chain-rule-{viewport['width']}")
    assert not page.errors
