"""The engine and drawing work behind a page, cached with bounds so a long lecture with many
students and many typed functions keeps its memory level.

Every cache of the app is here. A deck carries two digests, computed once where it is built:
`digest` (of what the deck is built from: the player remounts exactly when it changes) and
`shape` (the diagram's layout: the step is kept while it stays the same). Pages compare those,
never decks.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

import plotly.graph_objects as go
import streamlit as st

import engine
from drawing import Diagram, build_diagram, deck_data, standalone_html
from drawing.collapsed import with_boxes
from drawing.deck import digest
from drawing.forward_mode import forward_mode_deck
from drawing.plots import function_and_derivative
from engine.collapse import collapse as collapsed
from engine.graph import cycle_collector_paused

CACHE: dict[str, Any] = {"max_entries": 256, "ttl": 3600, "show_spinner": False}
# A deck and its slide file grow with the graph: 60 KB for a course function, 5 MB at the node
# limit, so 256 large ones held 1.4 GB. Decks of more than LARGE nodes have a cache of their own.
LARGE = 40
LARGE_CACHE: dict[str, Any] = {**CACHE, "max_entries": 16}

Values = tuple[tuple[str, float], ...]


@lru_cache(maxsize=64)
def parse(text: str, merge: bool = True) -> engine.Graph:
    """engine.parse with the app's limits; raises engine.ParseError. A page's run asks for the
    same function's graph several times (its variables, its size, its deck), so the last few
    graphs are kept: a graph is never changed once built."""
    return engine.parse(text, merge=merge)


def variables_of(text: str) -> tuple[str, ...]:
    """A function's variables, or none where the text does not parse (the page says why)."""
    try:
        return parse(text).variables
    except engine.ParseError:
        return ()


def _signed(deck: dict, kind: str, args: tuple) -> dict:
    # deck_data's own shape (its boxes and steps) where it gives one.
    deck.setdefault("shape", digest([kind, *_SHAPES[kind](*args)]))
    # A deck is built from its kind and arguments alone, so they identify it: a few hundred
    # bytes to hash instead of the megabytes of a large deck.
    deck["digest"] = _digest_of(kind, args)
    return deck


def _digest_of(kind: str, args: tuple) -> str:
    return digest([kind, *args])


# The digests of the large decks built lately, so that deck(..., first_steps_only=True) knows
# when the whole deck is at hand (a cache below cannot be asked whether it holds a deck without
# building it).
_LARGE_BUILT: OrderedDict[str, None] = OrderedDict()
_LARGE_BUILT_LOCK = threading.Lock()


# -- the decks: one builder per kind, run through a small or a large cache --------------------


def _trace_deck(
    text: str,
    values: Values,
    local: str,
    eps: float,
    merge: bool,
    check_eps: float,
    collapse: tuple[int, ...] = (),
    hide_constants: bool = False,
    first_steps: int | None = None,
) -> dict:
    if _comes_in_two(text, merge):
        diagram = _large_diagram(text, values, local, eps, merge, collapse, hide_constants)
    else:
        diagram = _diagram(text, values, local, eps, merge, collapse, hide_constants)
    trace = diagram.trace
    deck = deck_data(
        trace, title=text, check_eps=check_eps, diagram=diagram, first_steps=first_steps
    )
    return with_boxes(deck, trace)


def _diagram(
    text: str,
    values: Values,
    local: str,
    eps: float,
    merge: bool,
    collapse: tuple[int, ...],
    hide_constants: bool,
) -> Diagram:
    """The function's trace at the point, laid out with every step's looks."""
    graph = parse(text, merge)
    if collapse or hide_constants:  # node ids of the subexpressions shown as one box each
        graph = collapsed(graph, collapse, hide_constants=hide_constants)
    return build_diagram(graph.trace(dict(values), local=local, eps=eps))


# A large graph's diagram (its layout and its steps' looks: most of its deck's time) is kept
# from its first-steps deck to its whole deck, which the next run builds. Read only, and shared
# by the sessions; a few, as each holds about 7 MB at the node limit.
_large_diagram = st.cache_resource(max_entries=4, ttl=600, show_spinner=False)(_diagram)


# A large graph's first deck holds its first steps only (drawing.deck_data): its diagram is on
# screen sooner, and the whole deck follows in the next run (deck's first_steps_only below).
FIRST_STEPS = 40
FIRST_STEPS_NODES = 100


def _comes_in_two(text: str, merge: bool) -> bool:
    """Whether a new deck of this graph may come with its first steps, then whole: the first
    steps' deck and the whole deck share its diagram (_large_diagram)."""
    return len(parse(text, merge).nodes) > FIRST_STEPS_NODES


def _chain_deck(text: str, x: float, modes: tuple[tuple[int, str], ...], eps: float) -> dict:
    trace = parse(text).trace({"x": x}, local=dict(modes), eps=eps)
    return deck_data(trace, title=text, check_eps=eps)


def _tangent_deck(text: str, values: Values, wrt: str) -> dict:
    return forward_mode_deck(engine.forward_mode(parse(text), dict(values), wrt=wrt))


def _order_deck(text: str, values: Values, order: tuple[int, ...]) -> dict:
    trace = engine.backward_in_order(parse(text), dict(values), order)
    return deck_data(trace, title=f"{text} · backward in the order chosen")


_BUILDERS: dict[str, Callable[..., dict]] = {
    "trace": _trace_deck,
    "first steps": partial(_trace_deck, first_steps=FIRST_STEPS),
    "chain": _chain_deck,
    "tangent": _tangent_deck,
    "order": _order_deck,
}
# What makes two decks of a kind the same picture with other numbers (the same graph, so the
# same steps): the function and how it is drawn, never its values, modes or eps.
_SHAPES: dict[str, Callable[..., tuple]] = {
    "trace": lambda text, values, local, eps, merge, check_eps, collapse=(), hide=False: (
        text,
        merge,
        collapse,
        hide,
    ),
    "first steps": lambda *args: _SHAPES["trace"](*args),
    "chain": lambda text, x, modes, eps: (text,),
    "tangent": lambda text, values, wrt: (text, wrt),
    "order": lambda text, values, order: (text, order),
}


def _built(kind: str, args: tuple) -> dict:
    """The deck of `kind` built from `args`, with Python's cycle collector paused meanwhile: a
    500-node deck allocates millions of short-lived objects, none of them in cycles, and each
    collection they trigger would also walk every object the server holds."""
    with cycle_collector_paused():
        deck = _BUILDERS[kind](*args)
    return _signed(deck, kind, args)


# Two functions, not one wrapped twice: st.cache_data keeps one cache per function.
@st.cache_data(**CACHE)
def _deck(kind: str, *args) -> dict:
    return _built(kind, args)


@st.cache_data(**LARGE_CACHE)
def _large_deck(kind: str, *args) -> dict:
    deck = _built(kind, args)
    with _LARGE_BUILT_LOCK:
        _LARGE_BUILT[deck["digest"]] = None
        while len(_LARGE_BUILT) > LARGE_CACHE["max_entries"]:
            _LARGE_BUILT.popitem(last=False)
    return deck


def _cached(kind: str, text: str, merge: bool, *args) -> dict:
    cached = _large_deck if len(parse(text, merge).nodes) > LARGE else _deck
    return cached(kind, text, *args)


def deck(
    text: str,
    values: Values,
    local: str = "symbolic",
    eps: float = 1e-4,
    merge: bool = True,
    check_eps: float = 1e-4,
    collapse: tuple[int, ...] = (),
    hide_constants: bool = False,
    first_steps_only: bool = False,
) -> dict:
    """The player's deck for a function at a point (see drawing.deck_data), with the
    subexpressions at the `collapse` node ids as one box each (engine.collapse).

    `first_steps_only`: only its first FIRST_STEPS frames when the graph has more than
    FIRST_STEPS_NODES nodes and the whole deck is not built yet. Its shape is the whole deck's,
    so the player takes the whole deck at the student's step when it follows."""
    args = (text, values, local, eps, merge, check_eps, collapse, hide_constants)
    return _cached(
        "first steps" if first_steps_only and _first_steps_due(text, merge, args) else "trace",
        text,
        merge,
        *args[1:],
    )


def _first_steps_due(text: str, merge: bool, args: tuple) -> bool:
    """Whether deck(..., first_steps_only=True) gives the first steps: the graph has more than
    FIRST_STEPS_NODES nodes and its whole deck is not built yet."""
    if not _comes_in_two(text, merge):
        return False
    with _LARGE_BUILT_LOCK:
        return _digest_of("trace", args) not in _LARGE_BUILT


def chain_deck(text: str, x: float, modes: tuple[tuple[int, str], ...], eps: float) -> dict:
    """The chain-rule lesson's deck: each box with its own local mode."""
    return _cached("chain", text, True, x, modes, eps)


def tangent_deck(text: str, values: Values, wrt: str) -> dict:
    """Forward mode's deck: tangents with respect to `wrt`."""
    return _cached("tangent", text, True, values, wrt)


def order_deck(text: str, values: Values, order: tuple[int, ...]) -> dict:
    """The forward pass, then the backward pass in the given order."""
    return _cached("order", text, True, values, order)


# The JSON the player is sent (ui/player.py), written once per deck and look: 4 MB of it at the
# node limit, which the page's every run would otherwise write again.
@st.cache_data(**{**CACHE, "max_entries": 8})
def deck_json(key: str, _deck: dict) -> bytes:
    """`_deck` as JSON (UTF-8); `key` identifies the deck and its look (not hashed: the deck)."""
    return json.dumps(_deck, separators=(",", ":")).encode()


# -- slide files: built on demand, keyed like their deck ---------------------------------------


def _slides_of(kind: str, args: tuple, theme: str) -> str:
    return standalone_html(_BUILDERS[kind](*args), theme=theme)


@st.cache_data(**CACHE)
def _slides(kind: str, args: tuple, theme: str) -> str:
    return _slides_of(kind, args, theme)


@st.cache_data(**LARGE_CACHE)
def _large_slides(kind: str, args: tuple, theme: str) -> str:
    return _slides_of(kind, args, theme)


def slide_file(kind: str, args: tuple, theme: str = "light") -> str:
    """The deck of `kind` built from `args` (as for deck, chain_deck, ...) as one offline HTML
    file."""
    cached = _large_slides if len(parse(args[0]).nodes) > LARGE else _slides
    return cached(kind, args, theme)


def slides(text: str, values: Values, theme: str = "light", collapse: tuple[int, ...] = ()) -> str:
    """deck(text, values, collapse=collapse), with its other options at their defaults, as one
    offline HTML file."""
    return slide_file("trace", (text, values, "symbolic", 1e-4, True, 1e-4, collapse), theme)


@st.cache_data(**CACHE)
def figure_of_function(text: str, merge: bool, variable: str, values: Values) -> go.Figure:
    """f and f′ around the point (drawing.plots.function_and_derivative), built once."""
    return function_and_derivative(parse(text, merge), variable, dict(values))
