"""The forward-mode lesson's shared parts: which input to differentiate by, and forward mode's
numbers beside reverse mode's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from .widgets import linked, plain


def wrt_input(page: str, state: dict, column: Any, names: Sequence[str]) -> str:
    """The input whose tangent starts at 1: the link's, kept while the function has it."""
    if state["wrt"] not in names:
        state["wrt"] = names[0]
    if st.session_state.get(f"{page}:wrt") not in names:  # first run, or a new function
        st.session_state[f"{page}:wrt"] = state["wrt"]
    return linked(
        page,
        state,
        "wrt",
        column.selectbox,
        "Differentiate by",
        list(names),
        help="The input whose tangent starts at 1.",
    )


def one_partial(wrt: str, by_forward: float, by_reverse: float) -> None:
    """The partial by one forward-mode pass, by backpropagation, and how far apart they are."""
    metrics = st.columns(3)
    metrics[0].metric(
        f"Forward mode: ∂f/∂{plain(wrt)}",
        f"{by_forward:.6g}",
        help="The output's tangent after one forward-mode pass.",
    )
    metrics[1].metric(
        f"Reverse mode: ∂f/∂{plain(wrt)}",
        f"{by_reverse:.6g}",
        help="The gradient found by backpropagation.",
    )
    metrics[2].metric("Difference", f"{abs(by_forward - by_reverse):.1e}")


def every_partial(
    names: Sequence[str], by_forward: Mapping[str, float], by_reverse: Mapping[str, float]
) -> None:
    """Every partial both ways: one forward-mode pass each, one backward pass for all."""
    st.table(
        {
            "partial": [f"∂f/∂{v}" for v in names],
            "forward mode (one pass each)": [f"{by_forward[v]:.10g}" for v in names],
            "reverse mode (one pass for all)": [f"{by_reverse[v]:.10g}" for v in names],
        },
        border="horizontal",
        hide_index=True,
    )
