"""An axe-core audit (axe-playwright-python) of every page in the light and the dark theme, the
playground at a forward, an order and a backward step, the embed and present views and the slide
file: no serious or critical violation in the app's own elements.

Streamlit's own sidebar navigation puts its section <div>s straight inside a <ul>, which axe
reports as `list` and `listitem`. Those nodes, and only those, are let through, each one checked
to sit inside Streamlit's sidebar navigation; docs/accessibility.md lists them.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import screenshot
from playwright.sync_api import expect

PAGES = [
    "",
    "central-difference",
    "chain-rule",
    "backpropagation",
    "topological-sort",
    "forward-mode",
    "practice",
    "gradient-descent",
    "pytorch",
]
SERIOUS = {"serious", "critical"}
# Streamlit's markup, not the app's: (axe rule, the element that must contain the node).
STREAMLIT_NAVIGATION = {"list", "listitem"}
NAVIGATION = '[data-testid="stSidebarNav"]'

AXE = Axe()


def settled(page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=90_000
    )
    page.locator("h1:visible, .bp-player:visible").first.wait_for(timeout=90_000)
    if page.locator('[data-testid="stMain"] h1', has_text="Backprop Lab").count():
        # The playground opens with its first screen, then draws the rest under the player:
        # its last section is the check against central difference.
        page.get_by_role("heading", name="Backpropagation beside central difference").wait_for(
            timeout=90_000
        )
        page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
            timeout=90_000
        )
    for chart in page.locator('[data-testid="stPlotlyChart"]').all():
        chart.locator(".main-svg").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(800)
    # A run the page asked for meanwhile (what is under a player, once it has drawn) has ended,
    # its fonts are in, and what the app's scripts do a frame after a change (a code block that
    # now scrolls gets its place in the tab order) is done.
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=90_000
    )
    page.evaluate(
        "document.fonts.ready.then(() => new Promise((done) =>"
        " requestAnimationFrame(() => requestAnimationFrame(done))))"
    )


def inside(page, target, container: str) -> bool:
    """Whether the node axe names (a selector, or a list of them through shadow roots) lies in
    `container`."""
    selectors = target if isinstance(target, list) else [target]
    return page.evaluate(
        """([selectors, container]) => {
            let scope = document, node = null;
            for (const selector of selectors) {
                node = scope.querySelector(selector);
                if (!node) return false;
                scope = node.shadowRoot || node;
            }
            return Boolean(node.closest(container));
        }""",
        [selectors, container],
    )


def serious_violations(page) -> list[str]:
    found = []
    for violation in AXE.run(page).response["violations"]:
        if violation["impact"] not in SERIOUS:
            continue
        for node in violation["nodes"]:
            if violation["id"] in STREAMLIT_NAVIGATION and inside(page, node["target"], NAVIGATION):
                continue
            found.append(
                f"{violation['id']} ({violation['impact']}) at {node['target']}: "
                f"{(node.get('failureSummary') or '').strip()}"
            )
    return found


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES)
def test_every_page_in_both_themes(page, app_url, path, theme):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app_url}/{path}?embed_options={theme}_theme")
    settled(page)
    assert serious_violations(page) == []
    assert not page.errors


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("path", ["", "chain-rule"])
def test_every_panel_opened(page, app_url, path, theme):
    """The panels a page fills only when opened (the link and embed code, the plots) pass too."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app_url}/{path}?embed_options={theme}_theme")
    settled(page)
    panels = page.locator('[data-testid="stExpander"] details')
    assert panels.count() >= 1
    for k in range(panels.count()):
        panel = panels.nth(k)
        if panel.get_attribute("open") is None:
            panel.locator("summary").click()
            settled(page)
    assert page.locator('[data-testid="stExpander"] details:not([open])').count() == 0
    assert page.locator('[data-testid="stCode"]').count() >= 1
    assert serious_violations(page) == []
    assert not page.errors


def phase_of(page) -> str:
    return page.locator(".bp-player .bp-phase").first.inner_text().strip().lower()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_playground_at_a_forward_an_order_and_a_backward_step(page, app_url, theme):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app_url}/?embed_options={theme}_theme")
    settled(page)
    next_step = page.get_by_role("button", name="Next step").first
    seen: set[str] = set()
    while next_step.is_enabled() and len(seen) < 3:
        next_step.click()
        phase = phase_of(page)
        kind = next((k for k in ("forward", "order", "backward") if k in phase), None)
        if kind and kind not in seen:
            seen.add(kind)
            page.wait_for_timeout(300)
            assert serious_violations(page) == [], (kind, phase)
            screenshot(page, f"a11y-playground-{kind}-{theme}")
    assert seen == {"forward", "order", "backward"}, seen


@pytest.mark.parametrize("view", ["embed=true", "present=true"])
@pytest.mark.parametrize("path", ["", "chain-rule"])
def test_the_embed_and_present_views(page, app_url, view, path):
    page.set_viewport_size({"width": 960, "height": 540})
    page.goto(f"{app_url}/{path}?{view}")
    page.get_by_role("button", name="Next step").first.wait_for(timeout=90_000)
    settled(page)
    page.get_by_role("button", name="Next step").first.click()
    page.wait_for_timeout(300)
    assert serious_violations(page) == []


@pytest.mark.parametrize("options", [{}, {"theme": "dark"}, {"present": True}])
def test_the_slide_file(page, tmp_path, options):
    import engine
    from drawing import deck_data, standalone_html

    trace = engine.parse("log(xy)+exp(xy)").trace({"x": 1.0, "y": 2.0})
    path = tmp_path / "slides.html"
    path.write_text(
        standalone_html(deck_data(trace, title="log(xy)+exp(xy)"), **options), encoding="utf-8"
    )
    page.goto(path.as_uri())
    page.get_by_role("button", name="Next step").first.wait_for(timeout=30_000)
    assert serious_violations(page) == []
    for _ in range(12):  # into the topological order and the backward pass
        page.get_by_role("button", name="Next step").first.click()
    assert serious_violations(page) == []
    assert not page.errors


def focused_in_player(page) -> dict | None:
    """The focused element when it is inside the player (in its shadow root), with whether its
    focus is drawn (an outline or a ring)."""
    return page.evaluate(
        """() => {
            let node = document.activeElement;
            while (node && node.shadowRoot && node.shadowRoot.activeElement) {
                node = node.shadowRoot.activeElement;
            }
            if (!node || !node.closest || !node.closest('.bp-player')) return null;
            const style = getComputedStyle(node);
            const drawn = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
                || style.boxShadow !== 'none';
            return {label: node.getAttribute('aria-label') || node.textContent.trim(),
                    drawn: drawn};
        }"""
    )


def test_a_whole_trace_from_the_keyboard_alone(page, app_url):
    """Tab from the top of the page into the player, then only keys: every step to the last,
    each one announced, the focus visible all along."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(app_url)
    page.get_by_role("button", name="Next step").first.wait_for(timeout=90_000)
    settled(page)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    focus = None
    for _ in range(80):
        page.keyboard.press("Tab")
        focus = focused_in_player(page)
        if focus:
            break
    assert focus, "Tab never reached the player"
    assert focus["drawn"], f"the focus on {focus['label']!r} is not visible"
    count = page.locator(".bp-player .bp-count").first
    live = page.locator('.bp-player [role="status"]').first
    start, last = (int(n) for n in count.inner_text().split()[1::2][:2])
    assert start == 0
    announced = set()
    for step in range(1, last + 1):
        page.keyboard.press("ArrowRight")
        expect(count).to_have_text(re.compile(rf"^Step {step} of {last}\b"))
        announced.add(live.inner_text())
        focus = focused_in_player(page)
        assert focus and focus["drawn"], f"the focus left the player or is hidden at {step}"
    assert page.get_by_role("button", name="Next step").first.is_disabled()
    assert len(announced) == last, "not every step was announced"
    screenshot(page, "a11y-keyboard-last-step")


def test_a_formula_that_scrolls_is_in_the_tab_order_only_while_it_scrolls(page, app_url):
    """A keyboard user can reach a wide formula to scroll it: it gets tabindex 0 while its
    content is wider than its box, also when only its box's width changes (no element added or
    removed, as when its fonts or styles arrive), and loses it when it fits again."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app_url}/chain-rule")
    settled(page)
    formula = page.locator(".katex-display").first

    def state() -> tuple[bool, str | None]:
        scrolls, tabindex = formula.evaluate(
            "box => [box.scrollWidth > box.clientWidth, box.getAttribute('tabindex')]"
        )
        return scrolls, tabindex

    def width(css: str) -> None:
        formula.evaluate(f"box => {{ box.style.width = '{css}'; box.style.maxWidth = 'none'; }}")
        page.wait_for_timeout(300)

    width("120px")
    assert state() == (True, "0")
    formula.focus()
    assert formula.evaluate("box => document.activeElement === box")
    width("calc(100% + 40px)")
    assert state() == (False, None)
    width("100px")
    assert state() == (True, "0")
    assert not page.errors
