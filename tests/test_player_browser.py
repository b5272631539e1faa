"""The step player in a real browser: what-if keeps the step, zoom keeps the layout, the last
step's table fits its panel."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import assert_step_in_view, idle, open_player, player_frame, screenshot
from playwright.sync_api import expect

import engine
from drawing import build_diagram, deck_data, standalone_html
from drawing.diagram import SVG_NS

SEED = "expr=log(xy)%2Bexp(xy)&x=1&y=2"


def count(page) -> str:
    return player_frame(page).locator(".bp-count").inner_text()


def set_value(page, name: str, value: str) -> None:
    field = page.get_by_role("spinbutton", name=name, exact=True)
    field.fill(value)
    field.press("Enter")


def box_texts(page) -> dict[str, str]:
    return page.locator(".bp-player g.bp-node").evaluate_all(
        "gs => Object.fromEntries(gs.map(g => [g.id, g.textContent]))"
    )


def test_a_value_change_keeps_the_step_and_marks_what_changed(page, app_url):
    open_player(page, f"{app_url}/?{SEED}&step=21")
    assert count(page) == "Step 21 of 23"
    before = box_texts(page)
    set_value(page, "y", "3")
    # The new deck arrives: the numbers change, the step does not.
    page.wait_for_url(re.compile(r"[?&]y=3(&|$)"), timeout=15_000)
    page.wait_for_function(
        """before => [...document.querySelectorAll('*')].some(e => e.shadowRoot &&
             [...e.shadowRoot.querySelectorAll('g.bp-node')].some(
               g => before[g.id] !== undefined && before[g.id] !== g.textContent))""",
        arg=before,
        timeout=30_000,
    )
    idle(page)
    assert count(page) == "Step 21 of 23"
    after = box_texts(page)
    changed = {k for k in before if before[k] != after[k]}
    assert changed, "no box shows another number after y changed"
    marked = set(page.locator(".bp-player g.bp-changed").evaluate_all("gs => gs.map(g => g.id)"))
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


def diagram_geometry(page) -> dict:
    """The boxes' places in the diagram's own units, and the diagram's size on screen."""
    return page.locator(".bp-player svg.bp-diagram").first.evaluate(
        """svg => ({
             boxes: [...svg.querySelectorAll('g.bp-node > path')].map(p => {
               const b = p.getBBox(); return [p.parentNode.id, b.x, b.y, b.width, b.height]; }),
             width: svg.getBoundingClientRect().width,
             units: svg.viewBox.baseVal.width})"""
    )


def test_zoom_changes_the_size_on_screen_and_never_the_layout(page, app_url):
    open_player(page, f"{app_url}/?{SEED}&step=3")
    fitted = diagram_geometry(page)
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Zoom in").click()
    zoomed = diagram_geometry(page)
    assert zoomed["width"] > fitted["width"] * 1.4
    assert zoomed["boxes"] == fitted["boxes"]
    # Stepping keeps the zoom; the layout stays.
    page.get_by_role("button", name="Next step").click()
    assert count(page) == "Step 4 of 23"
    stepped = diagram_geometry(page)
    assert stepped["width"] == pytest.approx(zoomed["width"], abs=0.5)
    assert stepped["boxes"] == fitted["boxes"]
    page.get_by_role("button", name="Zoom out").click()
    assert diagram_geometry(page)["width"] < stepped["width"]
    page.get_by_role("button", name="Fit to view").click()
    assert diagram_geometry(page)["width"] == pytest.approx(fitted["width"], abs=0.5)
    # The keys: + zooms in, - out, 0 fits.
    page.locator(".bp-stage").click()
    page.keyboard.press("+")
    assert diagram_geometry(page)["width"] > fitted["width"] * 1.2
    page.keyboard.press("0")
    assert diagram_geometry(page)["width"] == pytest.approx(fitted["width"], abs=0.5)
    # Ctrl + wheel zooms at the pointer.
    stage = page.locator(".bp-stage").bounding_box()
    page.mouse.move(stage["x"] + stage["width"] / 3, stage["y"] + stage["height"] / 2)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    page.wait_for_timeout(200)
    assert diagram_geometry(page)["width"] > fitted["width"] * 1.5
    assert page.get_by_role("button", name="Full screen").is_visible()
    assert not page.errors


def test_a_large_graph_stays_readable_and_the_view_follows_the_step(sized, app_url):
    page = sized({"width": 1280, "height": 800})
    neuron = "sigmoid(" + " + ".join(f"w{i} x{i}" for i in range(1, 9)) + " + b)"
    open_player(page, f"{app_url}/?expr={neuron.replace('+', '%2B')}")
    geometry = diagram_geometry(page)
    # The smallest text in the diagram is 12 units (assets/diagram.css).
    assert geometry["width"] / geometry["units"] * 12 >= 11 - 0.01
    page.get_by_role("button", name="Last step").click()
    assert_step_in_view(page)
    page.get_by_role("button", name="Legend").click()
    legend = page.locator(".bp-legend")
    assert legend.is_visible() and "d_out" in legend.inner_text()
    screenshot(page, "player-neuron-1280x800")


TABLE_IN_PANEL = """() => {
  const root = [...document.querySelectorAll('*')].map(e => e.shadowRoot)
    .find(s => s && s.querySelector('.bp-player')) || document;
  const panel = root.querySelector('.bp-explain');
  const table = root.querySelector('.bp-explain .bp-check');
  const p = panel.getBoundingClientRect(), t = table.getBoundingClientRect();
  return {shape: root.querySelector('.bp-player').dataset.shape,
          inside: t.left >= p.left - 0.5 && t.right <= p.right + 0.5 &&
                  t.top >= p.top - 0.5 && t.bottom <= p.bottom + 0.5,
          clipped: panel.scrollHeight > panel.clientHeight + 1 ||
                   panel.scrollWidth > panel.clientWidth + 1,
          onScreen: t.bottom <= innerHeight + 0.5 && t.right <= innerWidth + 0.5};
}"""


@pytest.mark.parametrize(
    "view, size", [("", (1280, 800)), ("&embed=true", (960, 540)), ("&present=true", (1280, 720))]
)
@pytest.mark.parametrize(
    "function, shape",
    [
        ("expr=log(xy)%2Bexp(xy)&x=1&y=2", "wide"),
        ("expr=x1 y1 %2B x2 y2 %2B x3 y3 %2B x4 y4", "tall"),
        ("expr=sigmoid(" + " %2B ".join(f"w{i} x{i}" for i in range(1, 7)) + " %2B b)", "wide"),
    ],
)
def test_the_last_steps_table_is_whole_in_its_panel(browser, app_url, view, size, function, shape):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    try:
        open_player(page, f"{app_url}/?{function}&step=999{view}")
        page.get_by_role("button", name="Last step").wait_for()
        assert player_frame(page).locator(".bp-check").is_visible()
        if not view:
            player_frame(page).locator(".bp-check").scroll_into_view_if_needed()
        result = page.evaluate(TABLE_IN_PANEL)
        assert result["shape"] == shape
        assert result["inside"] and not result["clipped"], result
        if view:
            assert result["onScreen"], result
        screenshot(page, f"player-check-{shape}-{len(function)}{view.replace('&', '-')}")
    finally:
        context.close()


# -- "Download SVG": the same picture, at the same size, as `python -m drawing --svg-dir` ------


def svg_facts(text: str) -> dict:
    """What an exported step is: its size, view box and theme, and each box's and edge's look
    and texts."""
    root = ET.fromstring(text.split("?>", 1)[-1].strip())
    groups = {}
    for group in root.iter(f"{{{SVG_NS}}}g"):
        if group.get("id", "").startswith("bp-"):
            texts = [t.text or "" for t in group.iter(f"{{{SVG_NS}}}text")]
            groups[group.get("id")] = (set(group.get("class", "").split()), texts)
    return {
        "size": (root.get("width"), root.get("height"), root.get("viewBox")),
        "class": set(root.get("class", "").split()),
        "style": [s.text for s in root.iter(f"{{{SVG_NS}}}style")],
        "groups": groups,
    }


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_players_svg_download_is_the_svg_the_command_writes(browser, tmp_path, theme):
    trace = engine.parse("sin(x^2) * y").trace({"x": 3.0, "y": 0.5})
    diagram = build_diagram(trace)
    k = len(trace) - 3  # a backward step: values, gradients and states all set
    path = tmp_path / "slides.html"
    path.write_text(
        standalone_html(deck_data(trace, diagram=diagram), theme=theme, step=k), encoding="utf-8"
    )
    context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(path.as_uri())
        # Zoomed in first: the size on screen is not the size of the file.
        page.get_by_role("button", name="Zoom in").click()
        expect(page.locator(".bp-player")).to_have_attribute("data-step", str(k))
        with page.expect_download() as download:
            page.get_by_role("button", name="Download SVG").click()
        downloaded = Path(download.value.path()).read_text(encoding="utf-8")
    finally:
        context.close()
    written = diagram.svg_at(k, theme=theme)
    got, want = svg_facts(downloaded), svg_facts(written)
    assert got["size"] == want["size"]
    assert want["size"][0].endswith("pt") and want["size"][1].endswith("pt")
    width, height = (float(v) for v in want["size"][2].split()[2:])
    assert want["size"][:2] == (f"{width:.0f}pt", f"{height:.0f}pt")
    assert got["class"] == want["class"] == {"bp-diagram", f"bp-theme-{theme}"}
    assert got["style"] == want["style"] != []
    assert got["groups"] == want["groups"]
    assert len(got["groups"]) > len(trace.graph.nodes)
