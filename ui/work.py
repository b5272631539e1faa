"""The engine and drawing work behind a page, cached with bounds so a long lecture with many
students and many typed functions keeps its memory level."""

from __future__ import annotations

import streamlit as st

import engine
from drawing import deck_data, standalone_html

CACHE = {"max_entries": 256, "ttl": 3600, "show_spinner": False}


def parse(text: str, merge: bool = True) -> engine.Graph:
    """engine.parse with the app's limits; raises engine.ParseError."""
    return engine.parse(text, merge=merge)


@st.cache_data(**CACHE)
def deck(text: str, values: tuple[tuple[str, float], ...], local: str = "symbolic",
         eps: float = 1e-4, merge: bool = True, check_eps: float = 1e-4) -> dict:
    """The player's deck for a function at a point (see drawing.deck_data)."""
    trace = parse(text, merge).trace(dict(values), local=local, eps=eps)
    return deck_data(trace, title=text, check_eps=check_eps)


@st.cache_data(**CACHE)
def slides(deck: dict, theme: str = "light") -> str:
    """The deck as one offline HTML file."""
    return standalone_html(deck, theme=theme)
