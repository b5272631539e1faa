"""A link's ?theme=dark darkens the whole page, Streamlit's sidebar, inputs and charts as well as
the player, and every text measured keeps a contrast of at least 4.5:1 in both themes. The player
follows Streamlit's own theme switch in its menu at once, without a reload or a rerun."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import screenshot
from playwright.sync_api import expect

# The effective colours of an element: its own text colour, and the first opaque background
# found walking up from it; the contrast ratio as WCAG 2.1 defines it.
COLOURS_OF = """(node) => {
    const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
    if (!node) return null;
    let back = null;
    for (let up = node; up; up = up.parentElement) {
        const c = rgb(getComputedStyle(up).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) { back = c.slice(0, 3); break; }
    }
    back = back || [255, 255, 255];
    const style = getComputedStyle(node);
    let fore = rgb(style.color);
    // Opacity of the element and its ancestors blends the text into the background.
    let alpha = fore.length === 4 ? fore[3] : 1;
    for (let up = node; up; up = up.parentElement) alpha *= Number(getComputedStyle(up).opacity);
    fore = fore.slice(0, 3).map((v, i) => v * alpha + back[i] * (1 - alpha));
    const lum = (c) => {
        const [r, g, b] = c.map((v) => v / 255)
            .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [hi, lo] = [lum(fore), lum(back)].sort((a, b) => b - a);
    return {fore, back, ratio: (hi + 0.05) / (lo + 0.05), backLum: lum(back)};
}"""
COLOURS = f"(selector) => ({COLOURS_OF})(document.querySelector(selector))"

TEXTS = {
    "heading": "h1",
    "body text": '[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] p',
    "caption": '[data-testid="stCaptionContainer"]',
    "widget label": '[data-testid="stWidgetLabel"] p',
    "text in an input": '[data-testid="stMainBlockContainer"] input',
    "sidebar link": '[data-testid="stSidebarNav"] a span',
    "sidebar section": '[data-testid="stNavSectionHeader"]',
}
SURFACES = {
    "page": ".stApp",
    "sidebar": '[data-testid="stSidebar"]',
    "input": '[data-testid="stMainBlockContainer"] input',
    "chart": '[data-testid="stPlotlyChart"] .main-svg',
}


def colours(page, selector: str) -> dict | None:
    return page.evaluate(COLOURS, selector)


def background_luminance(page, selector: str) -> float:
    found = page.evaluate(
        """(selector) => {
            const node = document.querySelector(selector);
            if (!node) return null;
            const rgb = (t) => (t.match(/[\\d.]+/g) || []).map(Number);
            for (let up = node; up; up = up.parentElement) {
                const c = rgb(getComputedStyle(up).backgroundColor);
                if (c.length === 3 || (c.length === 4 && c[3] === 1)) {
                    const [r, g, b] = c.slice(0, 3).map((v) => v / 255).map(
                        (v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
                    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
                }
            }
            return 1;
        }""",
        selector,
    )
    assert found is not None, f"nothing matches {selector}"
    return found


def open_settled(page, url: str) -> None:
    page.goto(url)
    if "theme=" in url:
        # The page reloads once with Streamlit's own theme option in the link: wait for that
        # second document, not the first one that is about to go away.
        page.wait_for_url(lambda now: "embed_options=" in now, timeout=90_000)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=90_000
    )
    page.locator("h1").first.wait_for(timeout=90_000)
    for chart in page.locator('[data-testid="stPlotlyChart"]').all():
        chart.locator(".main-svg").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(800)


@pytest.mark.parametrize("path", ["central-difference", "chain-rule"])
def test_theme_dark_in_a_link_darkens_the_whole_page(page, app_url, path):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_settled(page, f"{app_url}/{path}?theme=dark")
    # Streamlit's own dark theme took over: the link now asks for it in Streamlit's words.
    assert "embed_options=dark_theme" in page.url and "theme=dark&" not in page.url + "&"
    for name, selector in SURFACES.items():
        page.locator(selector).first.wait_for(state="attached", timeout=60_000)
        assert background_luminance(page, selector) < 0.05, f"the {name} is not dark"
    player = page.locator(".bp-player").first
    if player.count():
        assert "bp-theme-dark" in player.get_attribute("class")
    screenshot(page, f"theme-dark-{path}")


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("path", ["", "central-difference"])
def test_text_keeps_aa_contrast_in_both_themes(page, app_url, path, theme):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_settled(page, f"{app_url}/{path}?theme={theme}")
    measured = {}
    for name, selector in TEXTS.items():
        found = colours(page, selector)
        if found is None:
            continue
        measured[name] = round(found["ratio"], 2)
        dark_page = found["backLum"] < 0.2
        assert dark_page == (theme == "dark"), (name, found)
    assert {"heading", "body text", "sidebar link"} <= measured.keys(), measured
    low = {name: ratio for name, ratio in measured.items() if ratio < 4.5}
    assert not low, f"below 4.5:1 in the {theme} theme: {low}"


def choose_theme(page, name: str) -> None:
    """Streamlit's main menu (⋮), then its theme switch: Light or Dark."""
    page.get_by_test_id("stMainMenu").click()
    page.get_by_role("menuitemradio", name=name).click()
    page.keyboard.press("Escape")


def player_look(page) -> dict:
    """The player's class, step and colours (it draws in the component's shadow root, which
    Playwright's locators pierce and document.querySelector does not)."""
    player = page.locator(".bp-player").first
    return {
        "class": player.get_attribute("class"),
        "step": player.get_attribute("data-step"),
        "stage": player.locator(".bp-stage").evaluate(COLOURS_OF)["backLum"],
        "explanation": player.locator(".bp-explain p").first.evaluate(COLOURS_OF),
        "box": player.locator("g.bp-node > path").first.evaluate("p => getComputedStyle(p).fill"),
        "page": background_luminance(page, ".stApp"),
    }


def downloaded_svg(page) -> str:
    with page.expect_download() as download:
        page.get_by_role("button", name="Download SVG").click()
    return Path(download.value.path()).read_text(encoding="utf-8")


def test_the_player_follows_the_theme_chosen_in_streamlits_menu_at_once(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_settled(page, f"{app_url}/?expr=log(xy)%2Bexp(xy)&x=1&y=2&step=5")
    player = page.locator(".bp-player").first
    sent: list[int] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(1)))
    page.evaluate("window.bpSameDocument = true")
    light = player_look(page)
    assert "bp-theme-light" in light["class"] and light["step"] == "5"
    assert light["page"] > 0.8 and light["stage"] > 0.8
    assert 'class="bp-diagram bp-theme-light"' in downloaded_svg(page)

    choose_theme(page, "Dark")
    expect(player).to_have_class(re.compile(r"\bbp-theme-dark\b"), timeout=10_000)
    dark = player_look(page)
    assert dark["page"] < 0.05, "Streamlit's page did not switch"
    assert "bp-theme-light" not in dark["class"]
    assert dark["stage"] < 0.05
    assert dark["box"] != light["box"]
    assert dark["explanation"]["backLum"] < 0.05 and dark["explanation"]["ratio"] >= 4.5
    assert dark["step"] == "5"  # the same player, not one mounted afresh at another step
    assert 'class="bp-diagram bp-theme-dark"' in downloaded_svg(page)
    player.scroll_into_view_if_needed()
    screenshot(page, "theme-menu-dark")

    choose_theme(page, "Light")
    expect(player).to_have_class(re.compile(r"\bbp-theme-light\b"), timeout=10_000)
    back = player_look(page)
    assert back == light
    # No reload, and nothing asked of the server: the switch happened in the page.
    assert page.evaluate("window.bpSameDocument === true")
    assert not sent, "the theme switch went to the server"

    # In the dark again, a rerun (another value of x) brings a new deck: it stays dark, whatever
    # theme the script still believes the page has.
    choose_theme(page, "Dark")
    expect(player).to_have_class(re.compile(r"\bbp-theme-dark\b"), timeout=10_000)
    field = page.get_by_role("spinbutton", name="x", exact=True)
    field.fill("1.5")
    field.press("Enter")
    page.wait_for_url(re.compile(r"x=1.5"), timeout=30_000)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=60_000
    )
    # The new deck is in: the input box x shows its new value.
    expect(player.locator("g.bp-variable text", has_text=re.compile(r"^1\.5$"))).to_have_count(
        1, timeout=30_000
    )
    after = player_look(page)
    assert "bp-theme-dark" in after["class"] and after["step"] == "5"
    assert after["stage"] < 0.05
    assert not page.errors
