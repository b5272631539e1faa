"""The central-difference lesson's shared parts: which functions it can use, the point and step
widgets, and its two tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import streamlit as st

import engine
from drawing.plots import power_text

from .widgets import linked, plain


def eps_text(eps: float) -> str:
    """A stop of the ε slider, as the link and the slider write it: 1, 1e-4."""
    return "1" if eps == 1 else f"1e-{round(-math.log10(eps))}"


def one_variable(graph: engine.Graph) -> str | None:
    """Why the lesson cannot use the function: it needs exactly one variable."""
    count = len(graph.variables)
    if count == 1:
        return None
    return (
        f"this lesson needs a function of one variable; {graph.text} has "
        f"{count or 'no'} variable{'s' if count != 1 else ''}"
        + (f" ({', '.join(graph.variables)})" if graph.variables else "")
    )


def point_and_step(
    page: str, state: dict, column: Any, name: str, limit: float, stops: Sequence[float]
) -> None:
    """The point (in `column`) and the step ε (a logarithmic slider under the row)."""
    linked(
        page,
        state,
        "x",
        column.number_input,
        f"Point {plain(name)}",
        step=0.1,
        format="%g",
        min_value=-limit,
        max_value=limit,
    )
    linked(
        page,
        state,
        "eps",
        st.select_slider,
        "Step ε (logarithmic: each stop is ten times smaller)",
        list(stops),
        format_func=eps_text,
    )


def methods_table(central: float, forward: float, exact: float) -> None:
    """The two differences and the exact derivative, with their errors."""
    st.dataframe(
        {
            "method": ["central difference", "forward difference", "exact, by autodiff"],
            "formula": ["(f(x+ε) − f(x−ε)) / 2ε", "(f(x+ε) − f(x)) / ε", "backpropagation"],
            "f′(x)": [central, forward, exact],
            "|error|": [abs(central - exact), abs(forward - exact), 0.0],
        },
        hide_index=True,
        column_config={
            "f′(x)": st.column_config.NumberColumn(format="%.12g"),
            "|error|": st.column_config.NumberColumn(format="%.1e"),
        },
    )


def errors_table(errors: dict, stops: Sequence[float]) -> None:
    """Both differences' errors at each stop of the slider (from drawing.plots.difference_errors,
    computed on a grid that holds the stops)."""
    rows = [list(errors["eps"]).index(e) for e in stops]
    forward, central = "forward difference error", "central difference error"
    st.dataframe(
        {
            "ε": [power_text(e) for e in stops],
            forward: [errors["forward"][k] for k in rows],
            central: [errors["central"][k] for k in rows],
        },
        hide_index=True,
        height=35 * (len(stops) + 1) + 3,
        column_config={
            forward: st.column_config.NumberColumn(format="%.1e"),
            central: st.column_config.NumberColumn(format="%.1e"),
        },
    )
