"""Slides for a lecture: the offline HTML file, the `python -m drawing` command, the per-step
SVGs, and the app's presenter and embed views at projector and slide sizes."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT, player_frame, screenshot
from playwright.sync_api import expect

import engine
from drawing import __main__ as cli
from drawing import build_diagram, deck_data, standalone_html
from drawing.diagram import SVG_NS, node_id

FUNCTION = "log(xy)+exp(xy)"
VALUES = {"x": 1.0, "y": 2.0}
GRADIENT_TEXT = {"x": "d_out = 15.78", "y": "d_out = 7.889"}
CONTROLS = ("First step", "Previous step", "Play", "Next step", "Last step")


@pytest.fixture(scope="module")
def trace() -> engine.Trace:
    return engine.parse(FUNCTION).trace(VALUES)


def variable_node(trace: engine.Trace, name: str) -> str:
    return next(
        node_id(n.id) for n in trace.graph.nodes if n.kind == "variable" and n.label == name
    )


# -- the slide file, opened from disk with the network cut off --------------------------------


def test_slide_file_steps_offline_with_the_keyboard(browser, tmp_path, trace):
    path = tmp_path / "slides.html"
    path.write_text(standalone_html(deck_data(trace, title=FUNCTION)), encoding="utf-8")
    document = path.as_uri()
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    requests: list[str] = []

    def only_the_file(route) -> None:
        requests.append(route.request.url)
        if route.request.url == document:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_the_file)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(document)
        count = page.locator(".bp-count")
        last = len(trace)
        expect(count).to_have_text(f"Step 0 of {last}")
        for k in range(1, last + 1):
            page.keyboard.press("ArrowRight")
            assert count.inner_text() == f"Step {k} of {last}"
        page.keyboard.press("ArrowRight")  # past the end: stays on the last step
        assert count.inner_text() == f"Step {last} of {last}"

        for name, text in GRADIENT_TEXT.items():
            node = page.locator(f"#{variable_node(trace, name)} text")
            assert text in node.all_text_contents()
        explanation = page.locator(".bp-explain").inner_text()
        assert "15.78" in explanation and "7.889" in explanation

        page.keyboard.press("Home")
        assert count.inner_text() == f"Step 0 of {last}"
        page.keyboard.press("End")
        assert count.inner_text() == f"Step {last} of {last}"

        play = page.locator(".bp-play")
        page.keyboard.press(" ")
        expect(play).to_have_attribute("aria-label", "Pause")
        page.keyboard.press(" ")
        expect(play).to_have_attribute("aria-label", "Play")
    finally:
        context.close()
    assert requests == [document], "the slide file asked the network for something"
    assert not errors


# -- the command line -------------------------------------------------------------------------


def run_cli(*args: str | Path) -> subprocess.CompletedProcess:
    """`python -m drawing` from the repository's root, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "drawing", *map(str, args)],
        cwd=ROOT,
        text=True,
        capture_output=True,
        timeout=120,
    )


def snapshot(directory: Path) -> dict[str, bytes | None]:
    """Every path under a directory with its bytes (None for a directory)."""
    return {
        str(p.relative_to(directory)): None if p.is_dir() else p.read_bytes()
        for p in sorted(directory.rglob("*"))
    }


class _Document(HTMLParser):
    """Reads an HTML file strictly enough: every element closed, in order; scripts kept."""

    VOID = {"meta", "link", "br", "img", "input", "hr", "source"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.scripts: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for key, value in attrs if key == "id" and value)
        if tag not in self.VOID:
            self.open.append(tag)
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> while {self.open[-1:]} is open"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1] == "script":
            self.scripts[-1] += data


def json_after(text: str, pattern: str) -> tuple[object, int]:
    """The JSON value that follows a pattern in a script, and where it ends."""
    start = re.compile(pattern).search(text).end()
    return json.JSONDecoder().raw_decode(text, start)


def read_slides(path: Path) -> tuple[dict, dict]:
    """The deck and the options the slide file mounts its player with."""
    document = _Document()
    document.feed(path.read_text(encoding="utf-8"))
    document.close()
    assert document.open == [], f"unclosed elements: {document.open}"
    assert "player" in document.ids
    player_js, mount = document.scripts
    assert "function mountPlayer(" in player_js
    deck, end = json_after(mount, r'mountPlayer\(document\.getElementById\("player"\),\s*')
    options, _ = json_after(mount[end:], r"^,\s*")
    return deck, options


def test_cli_writes_slides_and_one_svg_per_step(tmp_path, trace):
    result = run_cli(
        FUNCTION,
        "x=1",
        "y=2",
        "-o",
        tmp_path / "slides.html",
        "--svg-dir",
        tmp_path / "steps",
        "--theme",
        "dark",
        "--present",
    )
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "slides.html") in result.stdout
    assert str(tmp_path / "steps") in result.stdout

    deck, options = read_slides(tmp_path / "slides.html")
    assert len(deck["frames"]) == len(trace) + 1
    assert deck["title"] == FUNCTION
    assert options["theme"] == "dark" and options["present"] is True

    names = sorted(p.name for p in (tmp_path / "steps").iterdir())
    assert names == [f"step-{k:03d}.svg" for k in range(len(trace) + 1)]
    for name in names:
        root = ET.parse(tmp_path / "steps" / name).getroot()
        assert root.tag == f"{{{SVG_NS}}}svg"
        assert "bp-theme-dark" in root.get("class", "")
    last = ET.parse(tmp_path / "steps" / names[-1]).getroot()
    texts = [t.text for t in last.iter(f"{{{SVG_NS}}}text")]
    assert all(text in texts for text in GRADIENT_TEXT.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slides.html", "steps"]  # no temp files


def test_cli_replaces_an_earlier_export_without_leftovers(tmp_path, trace):
    steps = tmp_path / "steps"
    assert run_cli(FUNCTION, "x=1", "y=2", "--svg-dir", steps).returncode == 0
    result = run_cli("x^2", "x=3", "--svg-dir", steps, "--tree")
    assert result.returncode == 0, result.stderr
    shorter = len(engine.parse("x^2", merge=False).trace(x=3.0))
    assert sorted(p.name for p in steps.iterdir()) == [
        f"step-{k:03d}.svg" for k in range(shorter + 1)
    ]


# Arguments with {dir} for the test's own directory, and what the error must say.
BAD_ARGUMENTS = {
    "parse error": (["log(xy)+exq(xy)", "x=1", "y=2", "-o", "{dir}/out.html"], "exq"),
    "missing variable": ([FUNCTION, "x=1", "-o", "{dir}/out.html"], "no value for y"),
    "extra variable": (
        [FUNCTION, "x=1", "y=2", "z=3", "-o", "{dir}/out.html"],
        "z is not a variable",
    ),
    "given twice": ([FUNCTION, "x=1", "x=2", "y=2", "-o", "{dir}/out.html"], "x is given twice"),
    "not a number": ([FUNCTION, "x=1", "y=two", "-o", "{dir}/out.html"], "must be a number"),
    "not name=value": ([FUNCTION, "x", "y=2", "-o", "{dir}/out.html"], "name=value"),
    "no output": ([FUNCTION, "x=1", "y=2"], "say what to write"),
    "missing directory": (
        [FUNCTION, "x=1", "y=2", "-o", "{dir}/nowhere/out.html"],
        "does not exist",
    ),
    "output is a directory": ([FUNCTION, "x=1", "y=2", "-o", "{dir}/existing"], "is a directory"),
    "svg dir under a file": (
        [FUNCTION, "x=1", "y=2", "--svg-dir", "{dir}/notes.txt/steps"],
        "not a directory",
    ),
    "bad eps": (
        [FUNCTION, "x=1", "y=2", "--local", "numerical", "--eps", "-1", "--svg-dir", "{dir}/steps"],
        "eps must be a positive number",
    ),
    "bad theme": (
        [FUNCTION, "x=1", "y=2", "--theme", "blue", "-o", "{dir}/out.html"],
        "invalid choice",
    ),
}


@pytest.mark.parametrize("args, message", BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS.keys())
def test_cli_refuses_bad_arguments_and_writes_nothing(tmp_path, args, message):
    (tmp_path / "existing").mkdir()
    (tmp_path / "notes.txt").write_text("not a directory")
    before = snapshot(tmp_path)
    result = run_cli(*(a.format(dir=tmp_path) for a in args))
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert snapshot(tmp_path) == before


def test_cli_shows_where_the_function_is_wrong(tmp_path):
    result = run_cli("log(xy)+exq(xy)", "x=1", "y=2", "-o", tmp_path / "out.html")
    lines = result.stderr.splitlines()
    text_line = next(i for i, line in enumerate(lines) if line.strip() == "log(xy)+exq(xy)")
    caret = lines[text_line + 1]
    assert caret.strip() == "^"
    assert lines[text_line][caret.index("^")] == "e"  # under the unknown function's name


def test_cli_failing_midway_leaves_no_file(tmp_path, monkeypatch, capsys):
    """A disk that fills up while the SVGs are written: nothing of the run stays behind."""
    (tmp_path / "notes.txt").write_text("kept")
    before = snapshot(tmp_path)
    real_mkstemp = tempfile.mkstemp
    calls = 0

    def mkstemp_until_full(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls > 5:
            raise OSError(28, "No space left on device", kwargs.get("dir"))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_until_full)
    status = cli.main(
        [
            FUNCTION,
            "x=1",
            "y=2",
            "-o",
            str(tmp_path / "slides.html"),
            "--svg-dir",
            str(tmp_path / "out" / "steps"),
        ]
    )
    assert status == 2
    assert calls == 6
    assert "No space left on device" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


# -- exported SVGs: they hold still, and read on their own ------------------------------------


def geometry(svg: str) -> dict[str, list[tuple[str, ...]]]:
    """Per node and edge, the coordinates of its shapes and text anchors."""
    root = ET.fromstring(svg)
    shapes = {}
    for group in root.iter(f"{{{SVG_NS}}}g"):
        element = group.get("id", "")
        if element.startswith(("bp-n", "bp-e")):
            shapes[element] = [
                (
                    child.tag,
                    child.get("d") or child.get("points") or "",
                    child.get("x", ""),
                    child.get("y", ""),
                )
                for child in group
            ]
    return shapes


def test_every_step_svg_has_the_nodes_where_the_first_has_them(trace):
    diagram = build_diagram(trace)
    assert len(diagram) == len(trace) + 1
    svgs = [diagram.svg_at(k) for k in range(len(diagram))]
    first = geometry(svgs[0])
    assert sum(e.startswith("bp-n") for e in first) == len(trace.graph.nodes)
    assert all(any(tag.endswith("path") for tag, *_ in first[e]) for e in first)
    for k, svg in enumerate(svgs[1:], start=1):
        assert geometry(svg) == first, f"something moved at step {k}"
    assert svgs[0] != svgs[-1]  # the texts and looks change, the picture does not


def luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# Each diagram text's colour beside the colour behind it: its box, or the stage for edge labels.
TEXT_COLOURS = """player => {
  const stage = getComputedStyle(player.querySelector('.bp-stage')).backgroundColor;
  return [...player.querySelectorAll('g.bp-node text, g.bp-edge text')]
    .filter(t => t.textContent.trim())
    .map(t => {
      const box = t.closest('g.bp-node');
      const behind = box ? getComputedStyle(box.querySelector('path')).fill : stage;
      return [t.closest('g').id + ': ' + t.textContent, getComputedStyle(t).fill, behind];
    });
}"""

# The same for a standalone SVG, where edge labels sit on the picture's own background, or on
# the viewer's white when it has none.
SVG_TEXT_COLOURS = """() => {
  const own = getComputedStyle(document.documentElement).backgroundColor;
  const page = own === 'rgba(0, 0, 0, 0)' ? 'rgb(255, 255, 255)' : own;
  return [...document.querySelectorAll('g.bp-node text, g.bp-edge text')]
    .filter(t => t.textContent.trim())
    .map(t => {
      const box = t.closest('g.bp-node');
      const behind = box ? getComputedStyle(box.querySelector('path')).fill : page;
      return [t.closest('g').id + ': ' + t.textContent, getComputedStyle(t).fill, behind];
    });
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_an_exported_svg_reads_on_its_own(browser, tmp_path, trace, theme):
    """Opened by itself, as a viewer or a slide shows it: no player around it to set colours."""
    diagram = build_diagram(trace)
    path = tmp_path / "step.svg"
    path.write_text(diagram.svg_at(len(trace) - 2, theme=theme), encoding="utf-8")
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(path.as_uri())
        colours = page.evaluate(SVG_TEXT_COLOURS)
    finally:
        context.close()
    assert len(colours) > len(trace.graph.nodes)
    for label, ink, behind in colours:
        assert contrast(ink, behind) >= 4.5, f"{label}: {ink} on {behind}"


# -- presenter and embed views, in the slide file and in the app ------------------------------

# Between them every look a step can give: constants, π, pending, stacked, ordered, done, and a
# warning (log(0) = −inf).
LEGIBLE = {"log(xy)+exp(xy)": {"x": 1.0, "y": 2.0}, "2 log(x) + pi": {"x": 0.0}}


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("function", LEGIBLE)
def test_presenter_slides_keep_every_text_legible_at_every_step(browser, tmp_path, function, theme):
    trace = engine.parse(function).trace(LEGIBLE[function])
    path = tmp_path / "slides.html"
    path.write_text(standalone_html(deck_data(trace), theme=theme, present=True), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(path.as_uri())
        player = page.locator(".bp-player")
        for k in range(len(trace) + 1):
            if k:
                page.keyboard.press("ArrowRight")
            assert page.locator(".bp-count").inner_text() == f"Step {k} of {len(trace)}"
            for label, ink, behind in player.evaluate(TEXT_COLOURS):
                assert contrast(ink, behind) >= 4.5, f"step {k}, {label}: {ink} on {behind}"
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    finally:
        context.close()


VIEWS = {
    "present-1920x1080": ("present=true", 1920, 1080),
    "present-1280x720": ("present=true", 1280, 720),
    "present-dark-1280x720": ("present=true&theme=dark", 1280, 720),
    "embed-960x540": ("embed=true", 960, 540),
    "embed-dark-960x540": ("embed=true&theme=dark", 960, 540),
}


@pytest.mark.parametrize("query, width, height", VIEWS.values(), ids=VIEWS.keys())
def test_clean_views_fit_and_read_from_afar(browser, app_url, query, width, height, request):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{app_url}/?expr=log(xy)%2Bexp(xy)&x=1&y=2&step=21&{query}")
        page.get_by_role("button", name="Next step").wait_for(timeout=60_000)
        player = player_frame(page)
        expect(player).to_contain_text("Step 21 of 23")
        screenshot(page, f"export-{request.node.callspec.id}")

        box = player.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert box["y"] >= 0 and box["y"] + box["height"] <= height
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        for name in CONTROLS:
            expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
        expect(page.get_by_role("slider", name="Step")).to_be_visible()
        expect(player.locator(".bp-explain")).to_contain_text("Backward pass")

        # Only the lesson: none of Streamlit's page around it, no inputs, no extras.
        expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
        expect(page.locator('header[data-testid="stHeader"]')).to_be_hidden()
        assert page.get_by_role("heading", name="Backprop Lab").count() == 0
        assert page.get_by_role("textbox").count() == 0
        assert page.get_by_role("spinbutton").count() == 0
        assert page.get_by_text("Download slides (HTML)").count() == 0
        expect(page.get_by_role("combobox", name="Seconds per step")).to_be_hidden()
        expect(page.get_by_role("button", name="Download SVG")).to_be_hidden()

        # Legible: every text of the diagram stands out from what is behind it (WCAG AA).
        for label, ink, behind in player.evaluate(TEXT_COLOURS):
            assert contrast(ink, behind) >= 4.5, f"{label}: {ink} on {behind}"
        if "present" in query:
            # From the back of the room: the boxes' numbers at least 20 px tall on screen.
            value = player.locator(f"#{node_id(0)} text[data-line='2']")
            assert value.bounding_box()["height"] >= 20
            size = player.locator(".bp-explain").evaluate("e => getComputedStyle(e).fontSize")
            assert float(size.removesuffix("px")) >= 24
            # The screen it is shown on, filled: the player nearly as tall as the window, and a
            # graph that runs left to right across most of its width.
            assert box["height"] >= height - 80
            assert player.locator(".bp-stage svg").bounding_box()["width"] >= 0.85 * width
        assert not errors
    finally:
        context.close()


# -- a lecture hall: clicker keys, blank screen, full screen, the keys overlay, speaker view --


def open_slides(browser, tmp_path, trace, *, width=1280, height=720, **options):
    """The slide file opened from disk; returns (context, page) with page errors collected."""
    path = tmp_path / "slides.html"
    path.write_text(standalone_html(deck_data(trace, title=FUNCTION), **options), encoding="utf-8")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(path.as_uri())
    expect(page.locator(".bp-count")).to_have_text(re.compile(r"Step \d+ of \d+"))
    return context, page


def test_clicker_and_reveal_keys_step_the_slides(browser, tmp_path, trace):
    context, page = open_slides(browser, tmp_path, trace)
    count = page.locator(".bp-count")
    last = len(trace)
    try:
        for key, expected in [
            ("PageDown", 1),
            ("PageDown", 2),
            ("n", 3),
            ("N", 4),
            ("PageUp", 3),
            ("p", 2),
            ("ArrowLeft", 1),
            ("PageUp", 0),
            ("PageUp", 0),
        ]:
            page.keyboard.press(key)
            assert count.inner_text() == f"Step {expected} of {last}", key
        # Keys typed into a field are the field's: the speed chooser keeps them.
        page.get_by_role("combobox", name="Seconds per step").focus()
        for key in ("n", "b", "s", "?", "f"):
            page.keyboard.press(key)
        assert count.inner_text() == f"Step 0 of {last}"
        expect(page.locator(".bp-blank")).to_be_hidden()
        expect(page.get_by_role("dialog")).to_have_count(0)
        assert len(context.pages) == 1
        assert page.evaluate("document.fullscreenElement") is None
        assert not page.errors
    finally:
        context.close()


def test_b_and_dot_blank_the_screen_and_show_it_again(browser, tmp_path, trace):
    context, page = open_slides(browser, tmp_path, trace)
    count = page.locator(".bp-count")
    blank = page.locator(".bp-blank")
    black = (
        "() => { const e = document.elementFromPoint(innerWidth / 2, innerHeight / 2);"
        " return [e.className, getComputedStyle(e).backgroundColor]; }"
    )
    try:
        page.keyboard.press("PageDown")
        for on, off in [("b", "b"), (".", "."), ("b", "."), (".", "Escape")]:
            page.keyboard.press(on)
            expect(blank).to_be_visible()
            assert page.evaluate(black) == ["bp-blank", "rgb(0, 0, 0)"]
            box = blank.bounding_box()
            assert (box["width"], box["height"]) == (1280, 720)
            page.keyboard.press("PageDown")  # held back while the screen is blank
            assert count.inner_text() == f"Step 1 of {len(trace)}"
            page.keyboard.press(off)
            expect(blank).to_be_hidden()
            assert page.evaluate(black)[0] != "bp-blank"
        page.keyboard.press("PageDown")
        assert count.inner_text() == f"Step 2 of {len(trace)}"
        assert not page.errors
    finally:
        context.close()


def test_question_mark_lists_the_keys_and_escape_closes_it(browser, tmp_path, trace):
    context, page = open_slides(browser, tmp_path, trace)
    try:
        page.get_by_role("button", name="Next step").focus()
        page.keyboard.press("?")
        dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
        expect(dialog).to_be_visible()
        text = dialog.inner_text()
        for key in ("PageDown", "PageUp", "b", ".", "f", "s", "?", "Esc"):
            assert key in text
        close = dialog.get_by_role("button", name="Close")
        expect(close).to_be_focused()
        page.keyboard.press("Tab")  # focus stays in the dialog
        expect(close).to_be_focused()
        page.keyboard.press("ArrowRight")  # the slides wait under the dialog
        assert page.locator(".bp-count").inner_text() == f"Step 0 of {len(trace)}"
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(page.get_by_role("button", name="Next step")).to_be_focused()
        # The same list from its button, closed with the button.
        page.get_by_role("button", name="Keyboard shortcuts").click()
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Close").press("Enter")
        expect(dialog).to_be_hidden()
        assert not page.errors
    finally:
        context.close()


def test_f_toggles_full_screen(browser, tmp_path, trace):
    context, page = open_slides(browser, tmp_path, trace)
    try:
        page.keyboard.press("f")
        page.wait_for_function("document.fullscreenElement !== null")
        assert page.evaluate("document.fullscreenElement.classList.contains('bp-player')")
        page.keyboard.press("f")
        page.wait_for_function("document.fullscreenElement === null")
        assert not page.errors
    finally:
        context.close()


def test_speaker_view_follows_the_slides_and_steps_them(browser, tmp_path, trace):
    context, page = open_slides(browser, tmp_path, trace)
    last = len(trace)
    count = page.locator(".bp-count")
    try:
        with context.expect_page() as opened:
            page.keyboard.press("s")
        speaker = opened.value
        speaker_count = speaker.locator(".sp-count")
        expect(speaker_count).to_have_text(f"Step 0 of {last}")
        expect(speaker.locator(".sp-now")).to_contain_text("The inputs are")
        expect(speaker.locator(".sp-next")).to_contain_text("Forward pass")

        # Stepping the slides moves the speaker view, whatever steps them.
        page.keyboard.press("PageDown")
        expect(speaker_count).to_have_text(f"Step 1 of {last}")
        page.get_by_role("button", name="Last step").click()
        expect(speaker_count).to_have_text(f"Step {last} of {last}")
        expect(speaker.locator(".sp-now")).to_contain_text("central difference")
        expect(speaker.locator(".sp-next")).to_contain_text("last step")
        page.keyboard.press("Home")
        expect(speaker_count).to_have_text(f"Step 0 of {last}")

        # And the speaker view steps the slides: its keys and its buttons.
        speaker.keyboard.press("PageDown")
        expect(count).to_have_text(f"Step 1 of {last}")
        speaker.keyboard.press("ArrowRight")
        expect(count).to_have_text(f"Step 2 of {last}")
        speaker.get_by_role("button", name="Previous step").click()
        expect(count).to_have_text(f"Step 1 of {last}")
        expect(speaker_count).to_have_text(f"Step 1 of {last}")
        expected = page.locator(".bp-explain").inner_text().split("\n")[0]
        assert expected in speaker.locator(".sp-now").inner_text()

        # The presenter blanks the projector from the laptop.
        speaker.keyboard.press("b")
        expect(page.locator(".bp-blank")).to_be_visible()
        expect(speaker.locator(".sp-blank")).to_contain_text("blanked")
        speaker.keyboard.press("b")
        expect(page.locator(".bp-blank")).to_be_hidden()

        # The timer runs, and starts again from zero.
        expect(speaker.get_by_role("timer")).to_have_text(re.compile(r"00:0[1-9]"), timeout=5000)
        speaker.get_by_role("button", name="Reset timer").click()
        expect(speaker.get_by_role("timer")).to_have_text("00:00")

        # s again brings the same window back, not a second one.
        page.bring_to_front()
        page.keyboard.press("s")
        page.wait_for_timeout(300)
        assert len(context.pages) == 2
        assert not page.errors
    finally:
        context.close()


# -- a screen reader: the step announced, every box named ------------------------------------

NUMBER = r"-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|inf|nan)"


def test_each_step_is_announced_and_every_box_has_its_value_and_d_out(browser, tmp_path, trace):
    context, page = open_slides(browser, tmp_path, trace)
    status = page.get_by_role("status")
    last = len(trace)
    graph = trace.graph
    try:
        announced = []
        for k in range(last + 1):
            if k:
                page.keyboard.press("n")
            heading = page.locator(".bp-explain h3").inner_text()
            expect(status).to_contain_text(f"Step {k} of {last}. {heading}")
            announced.append(status.inner_text())
        assert len(set(announced)) == last + 1
        assert "x = 1" in announced[0]  # the math of the first sentence, in words
        assert "received d_out = 15.78" in announced[-1]

        # At the end every box says what it holds: its operation, its value and its grad
        # (the sum of the d_out it received), matched against the trace and the closed form.
        exact = {"x": 1 / 1 + 2 * math.exp(2), "y": 1 / 2 + 1 * math.exp(2)}
        for node in graph.nodes:
            box = page.locator(f"#{node_id(node.id)}")
            assert box.get_attribute("role") == "img"
            name = box.get_attribute("aria-label")
            assert node.symbol in name
            if node.kind == "constant":
                continue
            value = float(re.search(rf"value ({NUMBER})", name).group(1))
            assert value == pytest.approx(trace.values[node.id], rel=1e-3), name
            grad = float(re.search(rf"d_out = (?:[^,]*= )?({NUMBER})", name).group(1))
            truth = exact.get(node.label, trace.grads[node.id])
            assert grad == pytest.approx(truth, rel=1e-3), name
            assert "gradient complete" in name
            expect(page.get_by_role("img", name=name, exact=True)).to_have_count(1)

        # Mid-way, the words say what the colours say.
        page.keyboard.press("Home")
        page.keyboard.press("n")
        names = [
            page.locator(f"#{node_id(n.id)}").get_attribute("aria-label")
            for n in graph.nodes
            if n.kind == "operation"
        ]
        assert sum("current step" in n for n in names) == 1
        assert sum("not computed yet" in n and "no value yet" in n for n in names) == len(names) - 1
        assert not page.errors
    finally:
        context.close()


# Each piece of the player's own text (not the diagram's): its colour, faded by the opacity of
# it and its parents, over the first opaque background behind it. Disabled buttons are left
# out, as WCAG leaves out inactive controls; icons are checked against 3:1 (non-text).
PLAYER_TEXT_COLOURS = """player => {
  const rgba = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const out = [];
  const walker = document.createTreeWalker(player, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  const items = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const e = node.parentElement;
    if (!e || seen.has(e) || e.closest('svg, style, .bp-sr, [hidden], .bp-empty')) continue;
    seen.add(e);
    items.push([e, 'text']);
  }
  for (const icon of player.querySelectorAll('.bp-button > svg')) items.push([icon, 'icon']);
  for (const [e, kind] of items) {
    if (e.closest('button:disabled')) continue;
    const box = e.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    let opacity = 1;
    let bg = null;
    for (let a = e; a; a = a.parentElement || (a.getRootNode() && a.getRootNode().host)) {
      const style = getComputedStyle(a);
      opacity *= Number(style.opacity);
      const c = rgba(style.backgroundColor);
      if (!bg && c.length >= 3 && (c.length === 3 || c[3] > 0.99)) bg = c.slice(0, 3);
    }
    bg = bg || [255, 255, 255];
    const ink = rgba(getComputedStyle(e).color);
    const alpha = opacity * (ink.length > 3 ? ink[3] : 1);
    const mixed = [0, 1, 2].map(i => Math.round(ink[i] * alpha + bg[i] * (1 - alpha)));
    out.push([kind + ' ' + (e.className.baseVal ?? e.className) + ': ' +
              e.textContent.trim().slice(0, 30),
              'rgb(' + mixed.join(', ') + ')', 'rgb(' + bg.join(', ') + ')']);
  }
  return out;
}"""


@pytest.mark.parametrize("present", [False, True], ids=["slides", "present"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_player_text_and_chips_meet_aa_contrast(browser, tmp_path, theme, present):
    """The phase chip, the order chips, the explanation (its warning too), the controls."""
    trace = engine.parse("2 log(x) + pi").trace({"x": 0.0})  # log(0): a warning on the way
    path = tmp_path / "slides.html"
    path.write_text(
        standalone_html(deck_data(trace), theme=theme, present=present), encoding="utf-8"
    )
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(path.as_uri())
        player = page.locator(".bp-player")
        checked = set()
        for k in range(len(trace) + 1):
            if k:
                page.keyboard.press("n")
            for label, ink, behind in player.evaluate(PLAYER_TEXT_COLOURS):
                least = 3 if label.startswith("icon") else 4.5
                assert contrast(ink, behind) >= least, f"step {k}, {label}: {ink} on {behind}"
                checked.add(label.split(":")[0])
        page.keyboard.press("?")
        keys = page.locator(".bp-help-box").evaluate(PLAYER_TEXT_COLOURS)
        assert len(keys) > 10
        for label, ink, behind in keys:
            assert contrast(ink, behind) >= 4.5, f"keys overlay, {label}: {ink} on {behind}"
    finally:
        context.close()
    assert any("bp-phase-order" in c for c in checked) and any("bp-chip" in c for c in checked)
    assert any("bp-warning" in c for c in checked)


# What a slide shows, measured: type size, the diagram's width, and anything cut off.
SLIDE_FIT = """() => {
  const px = (e) => parseFloat(getComputedStyle(e).fontSize);
  const explain = document.querySelector('.bp-explain');
  const svg = document.querySelector('.bp-stage svg').getBoundingClientRect();
  const outside = [...document.querySelectorAll('.bp-player button, .bp-player input, .bp-count,'
                                                + ' .bp-phase, .bp-stage')]
    .filter(e => e.getClientRects().length)
    .map(e => [e.className || e.tagName, e.getBoundingClientRect()])
    .filter(([, r]) => r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight)
    .map(([name]) => name);
  return {
    text: px(explain), svgWidth: svg.width,
    clipped: explain.scrollHeight > explain.clientHeight + 1,
    scrolls: document.documentElement.scrollWidth > innerWidth ||
             document.documentElement.scrollHeight > innerHeight,
    outside,
  };
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("present", [False, True], ids=["slides", "present"])
def test_slide_file_fills_a_projector_and_clips_nothing_at_1280x720(
    browser, tmp_path, trace, present, theme, request
):
    name = request.node.callspec.id
    context, page = open_slides(
        browser, tmp_path, trace, width=1920, height=1080, present=present, theme=theme
    )
    try:
        page.keyboard.press("End")
        fit = page.evaluate(SLIDE_FIT)
        screenshot(page, f"slides-{name}-1920x1080")
        assert fit["text"] >= 24
        assert fit["svgWidth"] >= 0.85 * 1920  # a wide graph: most of the width
        assert not fit["scrolls"] and not fit["outside"]

        page.set_viewport_size({"width": 1280, "height": 720})
        page.keyboard.press("Home")
        for k in range(len(trace) + 1):
            if k:
                page.keyboard.press("PageDown")
            fit = page.evaluate(SLIDE_FIT)
            assert not fit["clipped"], f"step {k}: the explanation is cut off"
            assert not fit["scrolls"] and not fit["outside"], f"step {k}: {fit}"
        assert fit["svgWidth"] >= 0.85 * 1280
        screenshot(page, f"slides-{name}-1280x720")
        assert not page.errors
    finally:
        context.close()


# Per box not in the step's spotlight: its state class, and what tells it without colour.
BOX_SIGNALS = """() => [...document.querySelectorAll('g.bp-node')]
  .filter(g => !/bp-(current|reading|receiving|warn)/.test(g.getAttribute('class')))
  .map(g => {
    const state = (g.getAttribute('class').match(/bp-(pending|known|stacked|ordered|waiting|done)/)
                   || [null, 'untouched'])[1];
    const dash = getComputedStyle(g.querySelector('path')).strokeDasharray;
    const tag = g.querySelector('text[data-line="1"]').textContent;
    return [g.id, state, dash + (/#\\d/.test(tag) ? ' #n' : '')];
  })"""


def test_states_differ_in_more_than_colour(browser, tmp_path, trace):
    context, page = open_slides(browser, tmp_path, trace)
    pairs: dict[str, set[tuple[str, str]]] = {}
    try:
        for k in range(len(trace) + 1):
            if k:
                page.keyboard.press("n")
            phase = page.locator(".bp-player").get_attribute("data-phase")
            signals = {}
            for _element, state, signal in page.evaluate(BOX_SIGNALS):
                signals.setdefault(state, set()).add(signal)
            for a in signals:
                for b in signals:
                    if a < b:
                        assert not signals[a] & signals[b], (
                            f"step {k}: {a} and {b} boxes differ only in colour"
                        )
                        pairs.setdefault(phase, set()).add((a, b))
            for chip in page.locator(".bp-chip.bp-done").all():
                mark = chip.evaluate("c => getComputedStyle(c, '::before').content")
                assert "✓" in mark
        assert page.locator(".bp-chip.bp-done").count() == len(trace.order)  # all, at the end
    finally:
        context.close()
    assert pairs["forward"] == {("known", "pending")}
    assert {("ordered", "stacked"), ("stacked", "untouched")} <= pairs["order"]
    assert pairs["backward"] == {("done", "waiting")}


FOCUSED = """() => {
  let e = document.activeElement;
  while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
  if (!e || e === document.body) return [null, null, 0];
  const style = getComputedStyle(e);
  return [e.getAttribute('aria-label') || e.textContent.trim(), style.outlineStyle,
          parseFloat(style.outlineWidth)];
}"""


def test_a_whole_trace_from_the_keyboard_alone_with_visible_focus(browser, tmp_path, trace):
    context, page = open_slides(browser, tmp_path, trace)
    count = page.locator(".bp-count")
    last = len(trace)
    try:
        # Every control in the tab order, each with a focus ring that shows.
        seen = []
        for _ in range(30):
            page.keyboard.press("Tab")
            name, style, width = page.evaluate(FOCUSED)
            if name in seen or (name is None and seen):  # round to the start again
                break
            seen.append(name)
            assert style != "none" and width >= 2, f"{name}: no visible focus"
        for name in (
            "Play",
            "Next step",
            "Step",
            "Seconds per step",
            "Go to Forward pass",
            "Download SVG",
            "Speaker view",
            "Keyboard shortcuts",
            "Explanation of the step",
        ):
            assert name in seen

        # Next step with Enter, to the end: the focus stays in the player when Next is disabled.
        page.get_by_role("button", name="Next step").focus()
        for k in range(1, last + 1):
            page.keyboard.press("Enter")
            assert count.inner_text() == f"Step {k} of {last}"
        name, style, _ = page.evaluate(FOCUSED)
        assert name == "Step" and style != "none"
        page.keyboard.press("Home")  # the slider's own key: the first step
        assert count.inner_text() == f"Step 0 of {last}"
        for _ in range(3):  # back past Last step and Next step
            page.keyboard.press("Shift+Tab")
        assert page.evaluate(FOCUSED)[0] == "Play"
        page.keyboard.press("Enter")
        expect(page.get_by_role("button", name="Pause")).to_be_visible()
        page.keyboard.press("Enter")
        expect(page.get_by_role("button", name="Play")).to_be_visible()
        assert not page.errors
    finally:
        context.close()


def test_speaker_view_of_the_apps_presenter_mode(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{app_url}/?expr=log(xy)%2Bexp(xy)&x=1&y=2&step=3&present=true")
        page.get_by_role("button", name="Next step").wait_for(timeout=60_000)
        count = player_frame(page).locator(".bp-count")
        expect(count).to_have_text("Step 3 of 23")
        with context.expect_page() as opened:
            page.keyboard.press("s")
        speaker = opened.value
        speaker_count = speaker.locator(".sp-count")
        expect(speaker_count).to_have_text("Step 3 of 23")
        expect(speaker.locator(".sp-now")).to_contain_text("Forward pass: exp")
        expect(speaker.locator(".sp-next")).to_contain_text("Forward pass: +")

        page.keyboard.press("PageDown")
        expect(speaker_count).to_have_text("Step 4 of 23")
        page.get_by_role("button", name="Next step").click()
        expect(speaker_count).to_have_text("Step 5 of 23")
        speaker.keyboard.press("PageUp")
        expect(count).to_have_text("Step 4 of 23")
        speaker.get_by_role("button", name="Next step").click()
        expect(count).to_have_text("Step 5 of 23")
        # The app hears of the step as from the player itself: it lands in the link.
        page.wait_for_url(re.compile(r"step=5"), timeout=15_000)
        expect(speaker_count).to_have_text("Step 5 of 23")
        assert not errors
    finally:
        context.close()


def _lesson_decks() -> dict[str, object]:
    """Decks as the lessons build them, each with its own settings."""
    from drawing.forward_mode import forward_mode_deck
    from engine.forward_mode import forward_mode

    graph = engine.parse(FUNCTION)
    # The product fires before log and exp have sent to it: the topological sort lesson's
    # wrong order, with its warnings.
    wrong = (
        graph.output,
        *(n.id for n in graph.nodes if n.label == "mul"),
        *(n.id for n in graph.nodes if n.label in ("log", "exp")),
        *(n.id for n in graph.nodes if n.kind == "variable"),
    )
    return {
        "playground": lambda: deck_data(engine.parse(FUNCTION).trace(VALUES), title=FUNCTION),
        "tree, numerical": lambda: deck_data(
            engine.parse(FUNCTION, merge=False).trace(VALUES, local="numerical", eps=1e-3)
        ),
        "order chosen": lambda: deck_data(engine.backward_in_order(graph, VALUES, wrong)),
        "forward mode": lambda: forward_mode_deck(forward_mode(graph, VALUES, wrt="x")),
        "constants and a warning": lambda: deck_data(
            engine.parse("2 log(x) + pi").trace({"x": 0.0})
        ),
        "box notes": lambda: deck_data(
            engine.parse("x*y + 3").trace({"x": 2.0, "y": 5.0}),
            box_notes={
                0: "AccumulateGrad",
                1: "AccumulateGrad",
                2: "MulBackward0",
                3: "a number: no node",
                4: "AddBackward0",
            },
        ),
        "a constant function": lambda: deck_data(engine.parse("2 + 3").trace({})),
    }


@pytest.mark.parametrize("present", [False, True], ids=["slides", "present"])
@pytest.mark.parametrize("lesson", list(_lesson_decks()))
def test_every_lessons_deck_makes_slides_that_step_speak_and_fit(
    browser, tmp_path, lesson, present
):
    deck = _lesson_decks()[lesson]()
    last = len(deck["frames"]) - 1
    path = tmp_path / "slides.html"
    path.write_text(
        standalone_html(deck, theme="dark" if present else "light", present=present),
        encoding="utf-8",
    )
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(path.as_uri())
        status = page.get_by_role("status")
        for k in range(last + 1):
            if k:
                page.keyboard.press("PageDown")
            expect(status).to_contain_text(f"Step {k} of {last}. ")
            fit = page.evaluate(SLIDE_FIT)
            assert not fit["clipped"] and not fit["scrolls"] and not fit["outside"], (
                f"step {k}: {fit}"
            )
        boxes = page.locator("g.bp-node")
        assert boxes.count() > 0
        for name in boxes.evaluate_all("gs => gs.map(g => g.getAttribute('aria-label'))"):
            assert name and ":" in name
            if name.startswith(("input", "operation")):
                assert re.search(r"value \S", name), name
        if lesson == "order chosen":
            assert page.locator("g.bp-node[aria-label*='warning']").count() > 0
        if lesson == "box notes":
            names = " | ".join(
                boxes.evaluate_all("gs => gs.map(g => g.getAttribute('aria-label'))")
            )
            assert "MulBackward0" in names and "constant 3: a number: no node" in names
        assert not errors
    finally:
        context.close()


def test_typing_in_the_apps_fields_keeps_its_keys(browser, app_url):
    """The presenting keys are letters a function may contain: typed into a field, they stay
    there, and the player neither steps, blanks, lists its keys nor opens a window."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/?expr=x&x=1&step=1")
        page.get_by_role("button", name="Next step").wait_for(timeout=60_000)
        count = player_frame(page).locator(".bp-count")
        before = count.inner_text()
        field = page.get_by_role("textbox", name="Function", exact=True)
        field.click()
        field.press("Control+a")
        page.keyboard.type("b.fs?np")
        expect(field).to_have_value("b.fs?np")
        for key in ("PageDown", "PageUp"):
            field.press(key)
        assert count.inner_text() == before
        expect(player_frame(page).locator(".bp-blank")).to_be_hidden()
        expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_have_count(0)
        assert len(context.pages) == 1
        assert page.evaluate("document.fullscreenElement") is None
    finally:
        context.close()


def test_the_speaker_view_stays_with_the_player_for_a_new_function(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/?expr=log(xy)%2Bexp(xy)&x=1&y=2&step=3")
        page.get_by_role("button", name="Next step").wait_for(timeout=60_000)
        with context.expect_page() as opened:
            page.keyboard.press("s")
        speaker = opened.value
        expect(speaker.locator(".sp-count")).to_have_text("Step 3 of 23")
        field = page.get_by_role("textbox", name="Function", exact=True)
        field.fill("sin(x^2)")
        field.press("Enter")
        last = len(engine.parse("sin(x^2)").trace({"x": 1.0}))
        count = player_frame(page).locator(".bp-count")
        expect(count).to_have_text(re.compile(rf"Step \d+ of {last}$"), timeout=30_000)
        expect(speaker.locator(".sp-count")).to_have_text(count.inner_text())
        assert "sin(x^2)" in speaker.title()
        speaker.keyboard.press("End")
        expect(count).to_have_text(f"Step {last} of {last}")
        assert len(context.pages) == 2
    finally:
        context.close()


def test_data_in_the_slide_files_script_cannot_end_or_comment_it():
    """A title with `</script>` or `<!--` (typed text is data) stays inside its JSON string."""
    from drawing.deck import _script_json

    hostile = {"title": "x</script><script>alert(1)</script><!--<script>", "n": [1, 2]}
    text = _script_json(hostile)
    assert "<" not in text
    assert json.loads(text) == hostile
    deck = deck_data(engine.parse("x^2").trace(x=1.0), title=hostile["title"])
    page = standalone_html(deck)
    script = page[page.index("mountPlayer(document") :]
    script = script[: script.index("</script>")]
    assert "<!--" not in script and "<script" not in script
