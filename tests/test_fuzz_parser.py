"""Fuzzing the parser: whatever text arrives, `engine.parse` returns a graph within the limits or
raises `engine.ParseError` pointing inside the text. Nothing else may escape.

Two kinds of input: random Unicode text, and near-valid text made by breaking valid functions
the way hurried typing and hostile links do (characters inserted, deleted or replaced,
operators doubled, parentheses unbalanced, huge numbers, deep nesting). A few seconds in CI; the
long run is fuzz/parser.py.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine

# Repeatable in CI, as the property tests: the same examples on every run, nothing on disk.
FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)

FUNCTIONS = sorted(engine.FUNCTIONS)
NAMES = [
    "x",
    "y",
    "w",
    "b",
    "x1",
    "x_2",
    "theta",
    "θ",
    "α",
    "pi",
    "π",
    "e",
    "xy",
    "wx",
    "xi",
    "epsilon",
    "eta",
    "psi",
    "upsilon",
    "σ",
    "sigma",
    "Pi",
    "Π",
    "µ",
    "Omega",
]
NUMBERS = [
    "0",
    "2",
    "0.5",
    ".5",
    "1e3",
    "1e-3",
    "2E+2",
    "1.5e0",
    "9" * 30,
    "1e308",
    "1e309",
    "1e-400",
    "0" * 50 + "1",
]
OPERATORS = ["+", "-", "*", "/", "^", "**", "×", "·", "−", " "]
# Characters worth inserting: the syntax, its look-alikes, what the parser forbids, and some
# that no keyboard types (controls, combining marks, a zero-width joiner, a lone surrogate's
# neighbours in the Basic Multilingual Plane, an emoji).
INTERESTING = list(
    "()+-*/^.,;=[]{}|!%\"'_eE0123456789xyπ²³×·−–θσ \t\n\r\x00\x7f\u0301\u200d\ufeff\uffff😀٣１"
)


def check(text: str, **limits: int) -> engine.Graph | None:
    """The fuzzing property, for one text: parse it or get a ParseError inside the text."""
    max_nodes = limits.get("max_nodes", engine.MAX_NODES)
    try:
        graph = engine.parse(text, **limits)
    except engine.ParseError as err:
        assert isinstance(err.position, int)
        assert 0 <= err.position <= len(text), (err.position, len(text), err.message)
        assert err.message and isinstance(err.message, str)
        err.pointer()  # the caret display works for every error
        return None
    assert 1 <= len(graph.nodes) <= max_nodes
    assert 0 <= graph.output < len(graph.nodes)
    assert all(a < node.id for node in graph.nodes for a in node.args), "not in creation order"
    assert len(text) <= limits.get("max_length", engine.MAX_LENGTH)
    return graph


# -- valid functions, then broken -------------------------------------------------------------


def _leaf() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(NAMES), st.sampled_from(NUMBERS))


valid = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(OPERATORS + [""]), inner).map("".join),
        st.tuples(st.sampled_from(FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"),
        inner.map(lambda s: f"({s})"),
        inner.map(lambda s: f"-{s}"),
        inner.map(lambda s: f"{s}²"),
    ),
    max_leaves=25,
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid-looking function with one to five breakages."""
    text = draw(valid)
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(
            st.sampled_from(
                [
                    "insert",
                    "delete",
                    "replace",
                    "double",
                    "open",
                    "close",
                    "huge",
                    "nest",
                    "chain",
                    "splice",
                ]
            )
        )
        i = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = text[:i] + draw(st.sampled_from(INTERESTING)) + text[i:]
        elif kind == "delete" and text:
            i = min(i, len(text) - 1)
            text = text[:i] + text[i + 1 :]
        elif kind == "replace" and text:
            i = min(i, len(text) - 1)
            text = text[:i] + draw(st.sampled_from(INTERESTING)) + text[i + 1 :]
        elif kind == "double":
            operator = draw(st.sampled_from(OPERATORS))
            text = text[:i] + operator * draw(st.integers(2, 4)) + text[i:]
        elif kind == "open":
            text = text[:i] + "(" * draw(st.integers(1, 3)) + text[i:]
        elif kind == "close":
            text = text[:i] + ")" * draw(st.integers(1, 3)) + text[i:]
        elif kind == "huge":
            huge = draw(
                st.sampled_from(
                    [
                        "9" * 400,
                        "1e99999",
                        "1" + "0" * 308,
                        "0." + "0" * 400 + "1",
                        "1e-99999",
                        "123456789" * 20 + ".5",
                    ]
                )
            )
            text = text[:i] + huge + text[i:]
        elif kind == "nest":
            depth = draw(st.integers(engine.MAX_DEPTH - 2, engine.MAX_DEPTH + 3))
            opener = draw(st.sampled_from(["(", "sin(", "exp(", "-(", "x("]))
            text = opener * depth + text + ")" * depth
        elif kind == "chain":
            operator = draw(st.sampled_from(["+", "^", "*", "-", " ", "/"]))
            text = operator.join([text] * draw(st.integers(2, 60)))
        else:  # another function's piece spliced in
            other = draw(valid)
            j = draw(st.integers(0, len(other)))
            text = text[:i] + other[j:]
    return text


# -- the properties -----------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=200))
def test_random_unicode_parses_or_raises_parse_error(text):
    check(text)


@FUZZ
@given(
    st.lists(
        st.sampled_from(INTERESTING + FUNCTIONS + ["**", "Beta", "xi", "eta", "Pi"]), max_size=150
    )
)
def test_dense_syntax_parses_or_raises_parse_error(pieces):
    check("".join(pieces))


@FUZZ
@given(valid)
def test_valid_functions_parse_or_hit_a_limit(text):
    # The grammar writes what the parser reads, except where two pieces glued together make
    # something else: a size limit, a number too large or too small for a float, 2 3 or 0.5.5,
    # a run of letters before ( that reads as a mistyped function (sinx(y)), or a capital Greek
    # name written like a Latin letter (Beta).
    try:
        graph = engine.parse(text)
    except engine.ParseError as err:
        expected = (
            "limit",
            "too large",
            "too small",
            "cannot directly follow",
            "decimal point",
            "unknown function",
            "capital of",
        )
        assert any(word in err.message for word in expected), (text, err.message)
        return
    # What was read parses back, fully parenthesised, into the same graph, with nothing left to
    # read two ways.
    again = engine.parse(engine.read_as(graph), max_length=10**5, max_depth=10**4)
    assert again == graph and again.reading_notes == ()
    assert len(graph.reading_notes) <= engine.parser.MAX_NOTES


@FUZZ
@given(mutated())
def test_broken_functions_parse_or_raise_parse_error(text):
    check(text)


@FUZZ
@given(mutated(), st.booleans())
def test_broken_functions_without_merging(text, merge):
    check(text) if merge else check_tree(text)


def check_tree(text: str) -> None:
    # The expression tree repeats shared parts, so it meets the node limit sooner.
    try:
        graph = engine.parse(text, merge=False)
    except engine.ParseError as err:
        assert 0 <= err.position <= len(text)
        return
    assert len(graph.nodes) <= engine.MAX_NODES


@FUZZ
@given(mutated(), st.integers(1, 40), st.integers(1, 200), st.integers(0, 12))
def test_smaller_limits_are_respected(text, max_nodes, max_length, max_depth):
    limits = {"max_nodes": max_nodes, "max_length": max_length, "max_depth": max_depth}
    graph = check(text, **limits)
    if graph is not None:
        depth = deepest = 0
        for ch in text:  # every "(" the parser read counts toward the depth
            depth += (ch == "(") - (ch == ")")
            deepest = max(deepest, depth)
        assert deepest <= max_depth


@FUZZ
@given(mutated())
def test_a_parsed_graph_evaluates_and_traces_anywhere(text):
    """nan and inf are answers here; an exception is not."""
    graph = check(text)
    if graph is None:
        return
    point = dict(zip(graph.variables, [0.0, -1.0, 1e308, -0.5, 3.0] * 40, strict=False))
    trace = graph.trace(point)
    assert len(trace.values) == len(graph.nodes)
    for node, message in trace.warnings:
        assert 0 <= node < len(graph.nodes) and message
    assert all(isinstance(g, float) for g in trace.gradient.values())
    assert math.isnan(trace.value) or isinstance(trace.value, float)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 1000,
        ")" * 1000,
        "-" * 1000 + "x",
        "x" + "^x" * 499,
        "sin(" * 300 + "x" + ")" * 300,
        "x" * 1000,
        "xy" * 500,
        "9" * 1000,
        "." * 1000,
        "e" * 1000,
        "pi" * 500,
        "θ" * 1000,
        "x" + "+x" * 499,
        "sinn(" * 200,
        "a" * 999 + "(",
        "1e" + "9" * 998,
        "x_" + "1" * 998,
        "\x00" * 1000,
        "😀" * 1000,
        "x" * 1001,
        "",
    ],
)
def test_worst_cases_at_the_length_limit(text):
    check(text)
