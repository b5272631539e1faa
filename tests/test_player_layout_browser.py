"""The player's layout in a real browser, measured: the diagram is the main thing on the first
screen, the step controls are one row and on screen, the explanation goes beside the diagram on
a wide screen, a phone gets a large diagram with the step controls right under it, and nothing
is cut off."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
from conftest import assert_step_in_view, idle, player_frame, screenshot
from conftest import open_player as open_app

import engine
from engine.collapse import collapse_text, function_calls

SEED = "/?expr=log(xy)%2Bexp(xy)&x=1&y=2"
NEURON = "/?expr=sigmoid(w1%20x1%20%2B%20w2%20x2%20%2B%20w3%20x3%20%2B%20b)"
NEURON_7 = "/?expr=sigmoid(" + "%20%2B%20".join(f"w{i}%20x{i}" for i in range(1, 8)) + "%20%2B%20b)"
TALL = "/?expr=x1%20y1%20%2B%20x2%20y2%20%2B%20x3%20y3%20%2B%20x4%20y4"
DESKTOP = {"width": 1280, "height": 800}
LOW = {"width": 1280, "height": 720}
WIDE = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}

# Where the player's parts are, in CSS pixels of the viewport, and what would be cut off.
GEOMETRY = """p => {
  const box = (e) => { const r = e.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
            width: r.width, height: r.height}; };
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const part = (s) => box(p.querySelector(s));
  const explain = p.querySelector('.bp-explain');
  const named = (s) => [...p.querySelectorAll(s)].filter(shown)
    .map(e => ({name: e.getAttribute('aria-label') || e.textContent.trim(), ...box(e)}));
  // the step controls (on a phone the picture's tools follow them, in the same box)
  const controls = named('.bp-controls > .bp-transport button, .bp-controls > input,' +
                         ' .bp-controls > .bp-jumps button, .bp-controls > select');
  const stepping = named('.bp-controls > .bp-transport button, .bp-controls > input');
  const texts = [...p.querySelectorAll('.bp-stage svg text')]
    .filter(t => t.textContent.trim()).map(t => parseFloat(getComputedStyle(t).fontSize));
  const svg = p.querySelector('.bp-stage svg');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const inside = (e, r) => e.left >= r.left - 0.5 && e.right <= r.right + 0.5 &&
    e.top >= r.top - 0.5 && e.bottom <= r.bottom + 0.5;
  const player = box(p);
  const scroller = document.querySelector('[data-testid="stMain"]');
  return {
    player, stage: part('.bp-stage'), explain: part('.bp-explain'), head: part('.bp-head'),
    controlsRow: part('.bp-controls'), controls, stepping,
    layout: p.dataset.layout,
    // the smallest text of the diagram on screen: its font size in units times the scale
    smallestText: Math.min(...texts) * scale,
    explainClipped: explain.scrollHeight > explain.clientHeight + 1 ||
      explain.scrollWidth > explain.clientWidth + 1,
    outsidePlayer: [...p.querySelectorAll('button, input, select, .bp-stage, .bp-explain')]
      .filter(shown).map(e => [e.getAttribute('aria-label') || e.className, box(e)])
      .filter(([, r]) => !inside(r, player)).map(([n]) => n),
    pageScrollsSideways: document.documentElement.scrollWidth > innerWidth,
    scrolled: scroller ? scroller.scrollTop : 0,
  };
}"""


def open_player(page, url: str) -> dict:
    open_app(page, url, timeout=90_000)
    return settled_geometry(page)


def settled_geometry(page, timeout: float = 15) -> dict:
    """The player's geometry once it stops changing: the player sizes itself in the frames after
    its diagram, its explanation's math and the rest of the page arrive."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        page.wait_for_timeout(400)
        now = geometry(page)
        if now == last or time.monotonic() > deadline:
            return now
        last = now


def geometry(page) -> dict:
    return player_frame(page).evaluate(GEOMETRY)


def box_of(locator) -> dict:
    """A locator's box as GEOMETRY gives boxes."""
    b = locator.bounding_box()
    return {
        "left": b["x"],
        "top": b["y"],
        "right": b["x"] + b["width"],
        "bottom": b["y"] + b["height"],
        "width": b["width"],
        "height": b["height"],
    }


def one_row(items: list[dict]) -> bool:
    """Every control's box crosses one horizontal line: they sit in a single row."""
    return max(c["top"] for c in items) < min(c["bottom"] for c in items)


def assert_nothing_cut_off(g: dict) -> None:
    assert not g["explainClipped"], g["explain"]
    assert not g["outsidePlayer"], g["outsidePlayer"]
    assert not g["pageScrollsSideways"]


@pytest.mark.parametrize("path", ["/", SEED + "&step=21"], ids=["first-load", "log-exp-step-21"])
def test_at_1280x800_the_diagram_is_the_main_thing_and_the_controls_one_row_on_screen(
    sized, app_url, path, request
):
    page = sized(DESKTOP)
    g = open_player(page, app_url + path)
    screenshot(page, f"layout-1280-{request.node.callspec.id}")
    # The diagram's area: the largest part of the player, and tall enough to show the seed's
    # graph whole or nearly (it was 74 to 152 px with the controls in two rows and the zoom
    # buttons over the diagram).
    assert g["stage"]["height"] >= 180, g["stage"]
    assert g["stage"]["height"] >= 0.38 * g["player"]["height"]
    assert g["stage"]["height"] > g["explain"]["height"]
    # The step controls: one row, on the first screen, without scrolling the page.
    assert one_row(g["controls"]), g["controls"]
    names = {c["name"] for c in g["controls"]}
    assert {"First step", "Previous step", "Play", "Next step", "Last step", "Step"} <= names
    assert g["scrolled"] == 0
    assert g["controlsRow"]["bottom"] <= DESKTOP["height"]
    assert g["stage"]["top"] >= 0
    # The picture's tools share the row of the step's phase and number.
    for name in ("Zoom in", "Zoom out", "Fit to view", "Full screen", "Legend"):
        tool = player_frame(page).get_by_role("button", name=name, exact=True).bounding_box()
        assert g["head"]["top"] <= tool["y"] and tool["y"] + tool["height"] <= g["head"]["bottom"]
    assert g["smallestText"] >= 11 - 0.01
    assert_nothing_cut_off(g)
    assert not page.errors


def test_on_a_wide_screen_the_explanation_is_beside_the_diagram(sized, app_url):
    page = sized(WIDE)
    g = open_player(page, app_url + SEED + "&step=21")
    screenshot(page, "layout-1920-log-exp-step-21")
    assert g["layout"] == "beside"
    stage, explain = g["stage"], g["explain"]
    assert explain["left"] >= stage["right"]
    assert explain["top"] < stage["bottom"] and stage["top"] < explain["bottom"]
    assert stage["width"] > 2 * explain["width"]
    assert stage["height"] >= 400, stage
    assert one_row(g["controls"])
    assert g["controlsRow"]["bottom"] <= WIDE["height"]
    assert g["smallestText"] >= 11 - 0.01
    assert_nothing_cut_off(g)
    # The last step's check: whole in the panel beside the diagram.
    page.get_by_role("button", name="Last step").click()
    page.wait_for_timeout(300)
    g = geometry(page)
    check = player_frame(page).locator(".bp-check").bounding_box()
    assert explain["left"] - 0.5 <= check["x"]
    assert check["x"] + check["width"] <= g["explain"]["right"] + 0.5
    assert check["y"] + check["height"] <= g["explain"]["bottom"] + 0.5
    assert_nothing_cut_off(g)
    assert not page.errors


@pytest.mark.parametrize(
    "path, layout", [(TALL, "beside"), (NEURON, "under")], ids=["tall", "neuron"]
)
def test_under_many_inputs_the_explanation_goes_where_the_diagram_shows_larger(
    sized, app_url, path, layout, request
):
    """A player that starts too low for the first screen (many inputs above it at 1280×720)
    has a comfortable height of its own, and the explanation where the diagram shows larger:
    a graph taller than wide gets it beside, a wide neuron, readable only at a size larger
    than the player, under."""
    page = sized(LOW)
    open_player(page, app_url + path)
    player_frame(page).scroll_into_view_if_needed()
    g = geometry(page)
    screenshot(page, f"layout-1280x720-{request.node.callspec.id}")
    assert g["layout"] == layout
    if layout == "beside":
        assert g["explain"]["left"] >= g["stage"]["right"]
    else:
        assert g["explain"]["top"] >= g["stage"]["bottom"]
    assert g["stage"]["height"] >= 300, g["stage"]
    assert one_row(g["controls"])
    assert g["smallestText"] >= 11 - 0.01
    assert_nothing_cut_off(g)
    assert not page.errors


@pytest.mark.parametrize("path", ["/", SEED + "&step=23", NEURON], ids=["first", "last", "neuron"])
def test_on_a_phone_a_large_diagram_with_the_step_controls_right_under_it(
    sized, app_url, path, request
):
    page = sized(PHONE)
    g = open_player(page, app_url + path)
    screenshot(page, f"layout-phone-{request.node.callspec.id}")
    assert g["layout"] == "stack"
    stage, explain = g["stage"], g["explain"]
    # About 150 px before; now a good part of the screen.
    assert stage["height"] >= 250, stage
    # The step controls come right after the diagram (and its order strip), before the
    # explanation, and the stepping ones are on the first screen, large enough for a finger.
    assert 0 <= g["controlsRow"]["top"] - stage["bottom"] <= 60
    assert explain["top"] >= g["controlsRow"]["bottom"]
    assert one_row(g["stepping"]), g["stepping"]
    for control in g["stepping"]:
        assert control["bottom"] <= PHONE["height"], control
        if control["name"] != "Step":
            assert control["width"] >= 38 and control["height"] >= 38, control
    # One row of step controls on a phone: the step buttons, the slider and More, which holds
    # the rest; the Examples box goes under the player, with the values.
    more = player_frame(page).get_by_role("button", name="More controls", exact=True)
    assert one_row([*g["stepping"], box_of(more)]), g["stepping"]
    assert g["controlsRow"]["height"] <= 48, g["controlsRow"]
    assert g["controlsRow"]["bottom"] <= PHONE["height"]
    function = page.get_by_role("textbox", name="Function", exact=True).bounding_box()
    assert g["head"]["top"] - (function["y"] + function["height"]) < 100
    examples = page.get_by_text("Examples", exact=True).bounding_box()
    assert examples["y"] > g["player"]["bottom"]
    assert g["smallestText"] >= 11 - 0.01
    # The explanation is its full length: the page scrolls, the panel never clips.
    assert_nothing_cut_off(g)
    if "step=23" in path:
        check = player_frame(page).locator(".bp-check").bounding_box()
        assert check["x"] >= explain["left"] - 0.5
        assert check["x"] + check["width"] <= explain["right"] + 0.5
    assert not page.errors


def values_bottom(page) -> float:
    """The bottom of the lowest number field of the page's values."""
    return page.evaluate(
        """() => Math.max(...[...document.querySelectorAll('[data-testid="stNumberInput"]')]
          .map(e => e.getBoundingClientRect().bottom))"""
    )


@pytest.mark.parametrize(
    "path, theme",
    [(NEURON, ""), (NEURON_7, ""), (NEURON_7, "&embed_options=dark_theme")],
    ids=["neuron-3", "neuron-7", "neuron-7-dark"],
)
def test_at_1280x800_a_neuron_of_many_inputs_shows_its_diagram_and_controls_at_once(
    sized, app_url, path, theme, request
):
    """A neuron's many values take rows above the player (15 fields for 7 inputs): they go
    label beside field, and the player takes what the first screen has left, its step
    controls right under the step's number and its diagram under them, without scrolling;
    the last step's check runs on below, whole, and nothing above it moves."""
    page = sized(DESKTOP)
    g = open_player(page, app_url + path + theme)
    screenshot(page, f"layout-1280-{request.node.callspec.id}")
    assert g["scrolled"] == 0
    assert g["head"]["top"] >= values_bottom(page)
    stage = g["stage"]
    assert stage["top"] >= 0 and stage["bottom"] <= DESKTOP["height"], stage
    assert stage["height"] >= 180, stage
    assert one_row(g["controls"]), g["controls"]
    names = {c["name"] for c in g["controls"]}
    assert {"First step", "Previous step", "Play", "Next step", "Last step", "Step"} <= names
    for control in g["controls"]:
        assert control["top"] >= 0 and control["bottom"] <= DESKTOP["height"], control
    for name in ("Zoom in", "Zoom out", "Fit to view", "Full screen", "Legend"):
        tool = player_frame(page).get_by_role("button", name=name, exact=True).bounding_box()
        assert 0 <= tool["y"] and tool["y"] + tool["height"] <= DESKTOP["height"], name
    assert g["explain"]["left"] >= stage["right"]
    assert g["smallestText"] >= 11 - 0.01
    assert_nothing_cut_off(g)
    # The last step: its check whole in the panel, which runs on below the first screen; the
    # step controls and the diagram stay where they were.
    player_frame(page).get_by_role("button", name="Last step").click()
    page.wait_for_timeout(500)
    last = geometry(page)
    assert abs(last["controlsRow"]["top"] - g["controlsRow"]["top"]) <= 1
    assert abs(last["stage"]["top"] - stage["top"]) <= 1
    assert last["stage"]["height"] >= 150, last["stage"]
    check = player_frame(page).locator(".bp-check").bounding_box()
    explain = last["explain"]
    assert explain["left"] - 0.5 <= check["x"]
    assert check["x"] + check["width"] <= explain["right"] + 0.5
    assert check["y"] + check["height"] <= explain["bottom"] + 0.5
    assert_nothing_cut_off(last)
    player_frame(page).locator(".bp-check").scroll_into_view_if_needed()
    screenshot(page, f"layout-1280-{request.node.callspec.id}-last")
    assert not page.errors


@pytest.mark.parametrize("theme", ["", "&embed_options=dark_theme"], ids=["light", "dark"])
def test_on_a_phone_more_opens_the_rest_of_the_controls_by_touch_and_by_keyboard(
    sized, app_url, theme
):
    """What does not fit the phone's one row of step controls is under More: the jumps to each
    phase, the speed, zoom, full screen, the legend, the downloads and the link, each by its
    name, within the screen's width; More opens and closes from the keyboard too."""
    page = sized(PHONE)
    open_player(page, app_url + SEED + theme)
    player = player_frame(page)
    more = player.get_by_role("button", name="More controls", exact=True)
    assert more.get_attribute("aria-expanded") == "false"
    names = [
        "Go to Forward pass",
        "Zoom in",
        "Zoom out",
        "Fit to view",
        "Full screen",
        "Legend",
        "Download SVG",
        "Download PNG",
        "Copy link",
    ]
    for name in names:
        assert not player.get_by_role("button", name=name, exact=True).is_visible(), name
    more.click()
    assert more.get_attribute("aria-expanded") == "true"
    g = geometry(page)
    for name in names:
        tool = box_of(player.get_by_role("button", name=name, exact=True))
        assert tool["left"] >= 0 and tool["right"] <= PHONE["width"], (name, tool)
        assert tool["width"] >= 38 and tool["height"] >= 38, (name, tool)
    assert player.get_by_role("combobox", name="Seconds per step").is_visible()
    # Open, it goes under the step controls and above the explanation; nothing moves above.
    panel = box_of(player.get_by_role("group", name="More controls"))
    assert panel["top"] >= g["stepping"][0]["bottom"]
    assert g["explain"]["top"] >= panel["bottom"]
    screenshot(page, f"layout-phone-more{theme.replace('&embed_options=', '-')}")
    # Its tools work: zoom in, and the legend.
    player.get_by_role("button", name="Zoom in", exact=True).click()
    assert player.get_attribute("data-zoom") != "fit"
    player.get_by_role("button", name="Legend", exact=True).click()
    assert player.get_by_role("note", name="What the colours mean").is_visible()
    player.get_by_role("button", name="Go to Backward pass", exact=True).click()
    assert player.get_attribute("data-phase") == "backward"
    assert_nothing_cut_off(geometry(page))
    # The keyboard: Enter on More opens, Tab goes into what it opened, Escape closes it and
    # puts the focus back on More.
    more.click()
    assert more.get_attribute("aria-expanded") == "false"
    more.focus()
    page.keyboard.press("Enter")
    assert more.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => { let e = document.activeElement;
                   while (e && e.shadowRoot && e.shadowRoot.activeElement)
                     e = e.shadowRoot.activeElement;
                   return e && e.closest('.bp-more-panel') !== null; }"""
    )
    assert focused
    page.keyboard.press("Escape")
    assert more.get_attribute("aria-expanded") == "false"
    assert more.evaluate("b => b.getRootNode().activeElement === b")
    assert not page.errors


TWO_NEURONS = "sigmoid(w5*sigmoid(w1*x + w2*y + b1) + w6*tanh(w3*x + w4*y + b2) + b3)"

# The diagram's scale on screen (pixels per unit of its view box) and the zoom the player says.
SCALE = """p => { const svg = p.querySelector('.bp-stage svg');
  return {scale: svg.getBoundingClientRect().width / svg.viewBox.baseVal.width,
          zoom: p.dataset.zoom, collapsed: p.querySelectorAll('g.bp-collapsed').length}; }"""


def expand_a_box(page, left: int) -> None:
    """Click a collapsed box and wait for the deck with `left` collapsed boxes."""
    player_frame(page).locator("g.bp-collapsed").first.click()
    page.wait_for_function(
        """(left) => [...document.querySelectorAll('*')].some(e => e.shadowRoot &&
             e.shadowRoot.querySelector('.bp-player') &&
             e.shadowRoot.querySelectorAll('g.bp-collapsed').length === left)""",
        arg=left,
        timeout=30_000,
    )
    idle(page)
    page.wait_for_timeout(500)


def test_the_zoom_chosen_stays_when_a_box_is_expanded_and_fit_to_view_stays_fit(sized, app_url):
    """Zoomed in, a box expanded (a deck of another shape) keeps the zoom the student chose,
    with the step's box in view; at Fit to view, the new deck is fitted."""
    calls = function_calls(engine.parse(TWO_NEURONS))
    assert len(calls) == 2
    page = sized(DESKTOP)
    open_player(
        page, f"{app_url}/?expr={quote(TWO_NEURONS)}&collapse={collapse_text(calls)}&step=3"
    )
    player = player_frame(page)
    fitted = player.evaluate(SCALE)
    assert fitted["zoom"] == "fit" and fitted["collapsed"] == 2
    for _ in range(3):
        player.get_by_role("button", name="Zoom in", exact=True).click()
    zoomed = player.evaluate(SCALE)
    assert zoomed["zoom"] != "fit"
    assert zoomed["scale"] > 1.5 * fitted["scale"], (fitted, zoomed)
    expand_a_box(page, 1)
    kept = player_frame(page).evaluate(SCALE)
    assert kept["collapsed"] == 1
    assert kept["zoom"] == zoomed["zoom"]
    assert kept["scale"] == pytest.approx(zoomed["scale"], rel=0.01)
    assert_step_in_view(page)
    screenshot(page, "layout-zoom-kept-after-expanding")
    # At Fit to view, the next deck is fitted to the view, whatever its size.
    player_frame(page).get_by_role("button", name="Fit to view", exact=True).click()
    expand_a_box(page, 0)
    refit = player_frame(page).evaluate(SCALE)
    assert refit["collapsed"] == 0 and refit["zoom"] == "fit"
    assert refit["scale"] < kept["scale"]
    assert not page.errors
