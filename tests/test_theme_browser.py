"""A link's ?theme=dark darkens the whole page, Streamlit's sidebar, inputs and charts as well as
the player, and every text measured keeps a contrast of at least 4.5:1 in both themes."""

from __future__ import annotations

import pytest
from conftest import screenshot

# The effective colours of an element: its own text colour, and the first opaque background
# found walking up from it; the contrast ratio as WCAG 2.1 defines it.
COLOURS = """(selector) => {
    const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
    const node = document.querySelector(selector);
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
