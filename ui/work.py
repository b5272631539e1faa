"""The engine and drawing work behind a page, cached with bounds so a long lecture with many
students and many typed functions keeps its memory level."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

import engine
from drawing import deck_data, standalone_html
from drawing.plots import function_and_derivative

CACHE = {"max_entries": 256, "ttl": 3600, "show_spinner": False}
# A deck and its slide file grow with the graph: 60 KB for a course function, 5 MB at the node
# limit, so 256 large ones held 1.4 GB. Decks of more than LARGE nodes have a cache of their own.
LARGE = 40
LARGE_CACHE = {**CACHE, "max_entries": 16}


def parse(text: str, merge: bool = True) -> engine.Graph:
    """engine.parse with the app's limits; raises engine.ParseError."""
    return engine.parse(text, merge=merge)


def variables_of(text: str) -> tuple[str, ...]:
    """A function's variables, or none where the text does not parse (the page says why)."""
    try:
        return parse(text).variables
    except engine.ParseError:
        return ()


def deck(text: str, values: tuple[tuple[str, float], ...], local: str = "symbolic",
         eps: float = 1e-4, merge: bool = True, check_eps: float = 1e-4) -> dict:
    """The player's deck for a function at a point (see drawing.deck_data)."""
    cached = _large_deck if len(parse(text, merge).nodes) > LARGE else _deck
    return cached(text, values, local, eps, merge, check_eps)


def _build_deck(text, values, local, eps, merge, check_eps) -> dict:
    trace = parse(text, merge).trace(dict(values), local=local, eps=eps)
    return deck_data(trace, title=text, check_eps=check_eps)


# Two functions, not one wrapped twice: st.cache_data keeps one cache per function.
@st.cache_data(**CACHE)
def _deck(*args) -> dict:
    return _build_deck(*args)


@st.cache_data(**LARGE_CACHE)
def _large_deck(*args) -> dict:
    return _build_deck(*args)


def slides(text: str, values: tuple[tuple[str, float], ...], local: str = "symbolic",
           eps: float = 1e-4, merge: bool = True, check_eps: float = 1e-4,
           theme: str = "light") -> str:
    """The deck as one offline HTML file (keyed like the deck, not by the deck's megabytes)."""
    cached = _large_slides if len(parse(text, merge).nodes) > LARGE else _slides
    return cached(text, values, local, eps, merge, check_eps, theme)


def _build_slides(text, values, local, eps, merge, check_eps, theme) -> str:
    return standalone_html(deck(text, values, local, eps, merge, check_eps), theme=theme)


@st.cache_data(**CACHE)
def _slides(*args) -> str:
    return _build_slides(*args)


@st.cache_data(**LARGE_CACHE)
def _large_slides(*args) -> str:
    return _build_slides(*args)


@st.cache_data(**CACHE)
def figure_of_function(text: str, merge: bool, variable: str,
                       values: tuple[tuple[str, float], ...]) -> go.Figure:
    """f and f′ around the point (drawing.plots.function_and_derivative), built once."""
    return function_and_derivative(parse(text, merge), variable, dict(values))
