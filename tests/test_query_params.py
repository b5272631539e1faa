"""Hostile links: every page, every query parameter, malformed and oversized values.

A link is untrusted text that anyone can craft and share with a whole class. For each page (found
in app.py's navigation and in pages/), the parameters the page reads are discovered by running it
once and recording what it asks its `LinkReader` for; then each is given empty, huge, NaN, inf,
negative, non-numeric, Unicode and control-character values, and repeated. Every run must end
without an exception, and a value the page cannot use must be named in a message on the page.
"""

from __future__ import annotations

import ast
import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from conftest import component_data
from streamlit.testing.v1 import AppTest

import engine
from ui.url import MAX_PARAM_LENGTH, LinkReader, query

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
READERS = ("text", "number", "whole", "choice", "flag", "stop", "variable")
HUGE = "9" * 100_000
VIEW_PARAMS = ("present", "theme", "embed")  # read by the view itself, not by a LinkReader

# Values no number, whole number, choice or flag parameter can use: each must be reported.
UNUSABLE = {
    "empty": "",
    "huge": HUGE,
    "nan": "NaN",
    "inf": "inf",
    "-inf": "-inf",
    "overflow": "1e999",
    "words": "twelve",
    "control": "1\x00",
    "newline": "1\n2",
    "emoji": "😀",
    "repeated": ["0.1", "0.01"],
}
# Values some parameters can use (x=-1) and others cannot (eps=-1, step=-1): used or reported.
MAYBE = {
    "negative": "-1",
    "zero": "0",
    "negative zero": "-0",
    "tiny": "1e-300",
    "arabic digit": "٣",
    "fullwidth digit": "１",
    "large": "99999999",
    "fraction": "0.05",
    "padded": "  0.1  ",
}


# -- which pages, which parameters --------------------------------------------------------------


def pages() -> list[str]:
    """Page files in app.py's navigation, then any other file in pages/."""
    found: list[str] = []
    for node in ast.walk(ast.parse(APP.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", None) == "Page"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(node.args[0].value)
    found += [
        f"pages/{p.name}"
        for p in sorted((ROOT / "pages").glob("*.py"))
        if not p.name.startswith("_")
    ]
    return list(dict.fromkeys(found))


def in_navigation(page: str) -> bool:
    source = APP.read_text(encoding="utf-8")
    return f'"{page}"' in source or f"'{page}'" in source


class Recorder:
    """Records each parameter a page asks its LinkReader for, and with which reader."""

    def __init__(self, monkeypatch):
        self.reads: dict[str, str] = {}
        for reader in READERS:
            original = getattr(LinkReader, reader, None)
            if original is None:
                continue
            monkeypatch.setattr(LinkReader, reader, self._wrap(reader, original))

    def _wrap(self, reader, original):
        reads = self.reads

        def recorded(link, name, *args, **kwargs):
            reads.setdefault(name, reader)
            return original(link, name, *args, **kwargs)

        return recorded


def open_page(page: str, params: dict, recorder: Recorder | None = None) -> AppTest:
    """A fresh session opening `page` from a link with `params`."""
    if in_navigation(page):
        at = AppTest.from_file(str(APP), default_timeout=120)
        if page != pages()[0]:
            at.run()  # the first run lands on the default page; then follow the link
            at.switch_page(page)
            at.query_params.clear()  # only the link's own parameters, not the first page's
            if recorder is not None:
                recorder.reads.clear()  # what the default page read is not this page's
    else:
        at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


_discovered: dict[str, dict[str, str]] = {}


def discover(page: str, monkeypatch) -> dict[str, str]:
    """{parameter: reader} for a page opened from a link that names its variables x and y."""
    if page not in _discovered:
        recorder = Recorder(monkeypatch)
        at = open_page(page, {"expr": "x*y + sin(x)"}, recorder)
        assert not at.exception, [e.value for e in at.exception]
        _discovered[page] = dict(recorder.reads)
        monkeypatch.undo()
    return _discovered[page]


def messages(at: AppTest) -> str:
    """Every message on the page, as a reader sees it (Markdown escapes undone)."""
    text = "\n".join(
        [w.value for w in at.warning] + [e.value for e in at.error] + [i.value for i in at.info]
    )
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


def no_exception(at: AppTest, case: str) -> None:
    assert not at.exception, f"{case}: {[e.value for e in at.exception]}"
    # Not a blank page: a step player, a lesson's text or a message saying what went wrong.
    shown = (
        at.get("bidi_component"),
        at.error,
        at.warning,
        at.title,
        at.header,
        at.markdown,
        at.get("plotly_chart"),
    )
    assert any(len(elements) for elements in shown), f"{case}: the page is blank"


def names(shown: str, parameter: str) -> bool:
    """Whether the messages name the parameter: x='NaN', the link's x is, gives x 2 times."""
    return (
        re.search(
            rf"(?<![\w])({re.escape(parameter)}=|link's {re.escape(parameter)} |"
            rf"gives {re.escape(parameter)} )",
            shown,
        )
        is not None
    )


def link_value(at: AppTest, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[-1] if isinstance(value, list) else value


def same_number(a: str | None, b: str) -> bool:
    try:
        return a is not None and math.isclose(
            float(a), float(b.strip()), rel_tol=1e-9, abs_tol=1e-300
        )
    except ValueError:
        return False


PAGES = pages()


def test_pages_are_found():
    assert "pages/playground.py" in PAGES


# What each page reads from a link naming x and y (the lessons that fix their function read
# their own variables).
READS = {
    "pages/playground.py": {
        "expr": "text",
        "x": "variable",
        "y": "variable",
        "step": "whole",
        "mode": "choice",
        "tree": "flag",
        "eps": "stop",
        "check": "stop",
        "predict": "flag",
        "q": "whole",
    },
    "pages/central_difference.py": {"expr": "text", "x": "variable", "eps": "stop"},
    "pages/chain_rule.py": {
        "x": "variable",
        "inner": "choice",
        "outer": "choice",
        "inner_mode": "choice",
        "outer_mode": "choice",
        "eps": "stop",
        "step": "whole",
    },
    "pages/backpropagation.py": {"x": "variable", "y": "variable", "step": "whole"},
    "pages/topological_sort.py": {
        "expr": "choice",
        "wrong": "choice",
        "order": "text",
        "search": "whole",
        "step": "whole",
    },
    "pages/forward_mode.py": {
        "expr": "text",
        "x": "variable",
        "y": "variable",
        "wrt": "text",
        "step": "whole",
        "rstep": "whole",
    },
    "pages/practice.py": {
        "expr": "text",
        "x": "variable",
        "y": "variable",
        "ask": "choice",
        "q": "whole",
    },
}


@pytest.mark.parametrize("page", PAGES)
def test_the_page_reads_its_state_from_the_link(page, monkeypatch):
    reads = discover(page, monkeypatch)
    if page not in READS:
        pytest.skip(f"{page} is a page this test does not know yet")
    assert READS[page].items() <= reads.items(), reads


# -- LinkReader on its own ------------------------------------------------------------------


def reader(query: str, variables: str = "") -> LinkReader:
    params: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(name, []).append(value)
    return LinkReader(params, variables=frozenset(variables))


def test_a_variable_named_like_a_setting_keeps_its_value():
    link = reader("expr=q^2+x&q=5&x=2&predict=true", variables="qx")
    assert link.variable("q", 1.0) == 5.0 and link.variable("x", 1.0) == 2.0
    assert link.whole("q", 1, 1) == 1  # the question number: not given, so the default
    assert link.flag("predict") is True
    assert link.problems == []
    # The question number, when the function has a variable q, is written _q.
    link = reader("q=5&_q=3", variables="q")
    assert (link.variable("q", 1.0), link.whole("q", 1, 1)) == (5.0, 3)


def test_links_without_variables_named_like_settings_read_as_before():
    link = reader("expr=x^2&x=3&q=2&step=4", variables="x")
    assert (link.variable("x", 1.0), link.whole("q", 1), link.whole("step", 0)) == (3.0, 2, 4)


def test_written_links_read_back_the_same():
    for variables, settings in [
        ({"q": 5.0, "x": 2.0}, {"expr": "q^2+x", "q": 3, "predict": "true", "step": 7}),
        ({"x": 0.1, "y": -2.5}, {"expr": "xy", "mode": "numerical", "eps": "1e-06", "step": 0}),
    ]:
        written = query(settings, variables)
        assert list(written)[: 1 + len(variables)] == ["expr", *variables]
        link = reader(urlencode(written), variables="".join(variables))
        assert {v: link.variable(v, 0.0) for v in variables} == variables
        assert link.text("expr", "") == settings["expr"]
        assert link.whole("step", -1) == settings["step"]
        if "q" in settings:
            assert written["_q"] == "3" and link.whole("q", 1) == 3
        assert link.problems == []


@pytest.mark.parametrize(
    "query, name, problem",
    [
        ("x=abc", "x", "The link's x='abc' is not a number; 1 is used instead."),
        ("x=1&x=2", "x", "The link gives x 2 times; the last one is used."),
        ("x=1e13", "x", "The link's x='1e13' is outside -1e+12 … 1e+12; 1 is used instead."),
    ],
)
def test_a_variable_that_cannot_be_read_is_explained(query, name, problem):
    link = reader(query, variables="x")
    value = link.variable(name, 1.0)
    assert link.problems == [problem]
    assert value == (2.0 if "x=2" in query else 1.0)


def test_settings_and_their_problems_name_where_they_were_read():
    link = reader("_q=zero&q=1", variables="q")
    assert link.whole("q", 1, 1) == 1
    assert link.problems == ["The link's _q='zero' is not a whole number; 1 is used instead."]
    link = reader("mode=Numerical&eps=3e-5&tree=maybe")
    assert link.choice("mode", "symbolic", ("symbolic", "numerical")) == "numerical"
    assert link.stop("eps", 1e-4, [1e-4, 1e-5]) == 1e-5
    assert link.flag("tree") is False
    assert [p.split("=")[0] for p in link.problems] == ["The link's eps", "The link's tree"]


def test_a_long_value_is_ignored_and_said_once():
    link = reader("expr=" + "x" * (MAX_PARAM_LENGTH + 1))
    assert link.text("expr", "sin(x)") == "sin(x)"
    assert len(link.problems) == 1 and "characters long" in link.problems[0]


def test_the_playground_keeps_a_variable_named_like_its_question_number():
    at = open_page("pages/playground.py", {"expr": "q^2+x", "q": "5", "x": "2", "predict": "true"})
    no_exception(at, "q as a variable")
    assert {n.label: n.value for n in at.number_input if n.label in ("q", "x")} == {
        "q": 5.0,
        "x": 2.0,
    }
    assert link_value(at, "q") == "5" and link_value(at, "_q") == "1"
    assert not at.warning


# -- numbers, whole numbers, choices and flags ------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("case", list(UNUSABLE))
def test_unusable_values_are_reported(page, case, monkeypatch):
    names_read = [name for name, reader in discover(page, monkeypatch).items() if reader != "text"]
    if not names_read:
        pytest.skip(f"{page} reads no number, choice or flag from the link")
    # Streamlit drops a whole query string over 512 KiB, so huge values go four at a time.
    size = 4 if case == "huge" else len(names_read)
    for group in (names_read[i : i + size] for i in range(0, len(names_read), size)):
        params = {name: UNUSABLE[case] for name in group}
        at = open_page(page, {"expr": "x*y + sin(x)", **params})
        no_exception(at, case)
        shown = messages(at)
        unreported = [name for name in params if not names(shown, name)]
        assert not unreported, f"{case}: nothing on the page names {unreported}:\n{shown}"


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("case", list(MAYBE))
def test_borderline_values_are_used_or_reported(page, case, monkeypatch):
    value = MAYBE[case]
    params = {
        name: value for name, reader in discover(page, monkeypatch).items() if reader != "text"
    }
    if not params:
        pytest.skip(f"{page} reads no number, choice or flag from the link")
    at = open_page(page, {"expr": "x*y + sin(x)", **params})
    no_exception(at, case)
    shown = messages(at)
    for name in params:
        reported = names(shown, name)
        written_back = link_value(at, name)
        used = (
            written_back is None
            or same_number(written_back, value)
            or written_back == value.strip().lower()
        )
        if name == "step" and not reported:
            continue  # a step past the end shows the last step: checked below
        assert reported or used, f"{case}: {name}={value!r} became {written_back!r} unsaid"


# -- text parameters on every page ------------------------------------------------------------

TEXTS = {
    "huge": HUGE,
    "repeated": ["x", "y"],
    "empty": "",
    "control": "\x00\x1b[2J",
    "newline": "a\nb",
    "unicode": "x̸😀٣",
    "html": "<img src=x onerror=alert(1)>",
    "nan": "NaN",
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("case", list(TEXTS))
def test_text_parameters_survive_anything(page, case, monkeypatch):
    names_read = [name for name, reader in discover(page, monkeypatch).items() if reader == "text"]
    if not names_read:
        pytest.skip(f"{page} reads no text from the link")
    for name in names_read:
        at = open_page(page, {name: TEXTS[case]})
        no_exception(at, f"{name} {case}")
        if case in ("huge", "repeated"):  # the reader itself refuses these, and says so
            assert names(messages(at), name), f"{name} {case}: {messages(at)}"


# -- the function itself -------------------------------------------------------------------------

EXPRESSIONS = {
    "empty": "",
    "blank": "   ",
    "huge": "x+" * 50_000 + "x",
    "over the parser's limit": "x+" * 700 + "x",
    "too many nodes": "+".join(f"{k}x" for k in range(1, 300)),
    "too deep": "(" * 80 + "x" + ")" * 80,
    "control characters": "x\x00+\x1b[31my",
    "newline": "x\n+ y",
    "unbalanced": "sin(x",
    "html": "<script>alert(1)</script>",
    "markdown": "**x** [y](javascript:alert(1))",
    "unicode": "x̸ + 😀 + ٣",
    "equation": "y = x^2",
    "repeated": ["x^2", "sin(x)"],
}


@pytest.mark.parametrize("case", list(EXPRESSIONS))
def test_bad_functions_in_links_are_reported(case):
    value = EXPRESSIONS[case]
    at = open_page("pages/playground.py", {"expr": value})
    no_exception(at, case)
    shown = messages(at)
    last = value[-1] if isinstance(value, list) else value
    if isinstance(value, list):
        assert "expr" in shown
    if len(last) > MAX_PARAM_LENGTH:
        assert "expr" in shown and "ignored" in shown
        return
    try:
        engine.parse(last)
    except engine.ParseError as err:
        assert "Cannot read this function" in shown and err.message in shown, shown
    # Whatever the text, it is shown as text: no HTML element carries it (the app's own fixed
    # styles and scripts are HTML elements too, so what is checked is the typed markup).
    if "<" in last:
        assert not any(last in e.proto.body for e in at.get("html")), last


# -- targeted values -------------------------------------------------------------------------


def test_step_past_the_end_shows_the_last_step():
    at = open_page("pages/playground.py", {"expr": "x^2", "x": "3", "step": "99999999"})
    no_exception(at, "step past the end")
    deck = component_data(at.get("bidi_component")[0])["deck"]
    assert link_value(at, "step") == str(len(deck["frames"]) - 1)


@pytest.mark.parametrize(
    "params, named",
    [
        ({"mode": "numerical", "eps": "0"}, "eps"),
        ({"mode": "numerical", "eps": "1"}, "eps"),
        ({"mode": "numerical", "eps": "3e-5"}, "eps"),
        ({"check": "0"}, "check"),
        ({"check": "0.5"}, "check"),
        ({"mode": "bogus"}, "mode"),
        ({"mode": "NUMERICAL"}, None),  # letter case does not matter
        ({"tree": "maybe"}, "tree"),
        ({"step": "-3"}, "step"),
        ({"step": "2.5"}, "step"),
        ({"x": "1e13"}, "x"),
        ({"x": "-1e13"}, "x"),
    ],
)
def test_values_outside_what_the_page_offers(params, named):
    at = open_page("pages/playground.py", {"expr": "x^2", **params})
    no_exception(at, str(params))
    shown = messages(at)
    if named:
        assert names(shown, named), shown
    else:
        assert not at.warning


@pytest.mark.parametrize(
    "params",
    [
        {"present": "bogus"},
        {"theme": "bogus"},
        {"embed": "bogus"},
        {"present": "true", "theme": HUGE},
        {"present": ["true", "false"], "theme": ["a", "dark"]},
        {"embed": "true", "expr": "sin(x"},
        {"present": "true", "expr": "x" * 5000},
        {"embed": "true", "present": "true", "theme": "dark", "step": "-1"},
    ],
)
def test_view_settings_never_break_the_page(params):
    at = open_page("pages/playground.py", params)
    no_exception(at, str(params))
    if params.get("expr") == "sin(x":
        assert any("sin" in e.value or "never closed" in e.value for e in at.error)


# -- many links opened at once ---------------------------------------------------------------


def test_many_sessions_lay_out_diagrams_at_the_same_time():
    """Each session's script runs in its own thread, and a new function means a new Graphviz
    layout. Run in a child process: if two layouts collide, wasmtime aborts the process."""
    code = textwrap.dedent("""
        import sys, threading
        sys.path.insert(0, sys.argv[1])
        import engine
        from drawing.diagram import build_diagram
        traces = [engine.parse(f"sin({k}x) + log({k} + y) * exp(x y) + x^{k}").trace(x=0.5, y=k)
                  for k in range(1, 9)]
        alone = [build_diagram(t).template for t in traces]
        from drawing.diagram import render_svg
        render_svg.cache_clear()
        together = [None] * len(traces)
        def lay_out(i):
            for _ in range(5):
                together[i] = build_diagram(traces[i]).template
                render_svg.cache_clear()
        threads = [threading.Thread(target=lay_out, args=(i,)) for i in range(len(traces))]
        [t.start() for t in threads]
        [t.join() for t in threads]
        print(sum(a == b for a, b in zip(alone, together)))
    """)
    result = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "8"
