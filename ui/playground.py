"""The playground's shared parts: its options row, which deck it shows (and the last one
that worked, while the typed function cannot be read), its link, and the player with the
link under it."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

import engine

from .page import past_the_end, presenter_switch, presenting, theme
from .player import player
from .widgets import (
    lazy_expander,
    link_and_embed,
    linked,
    parse_error,
    plain,
    slides_button,
    variable_inputs,
)
from .work import deck


def options(page: str, state: dict, graph: engine.Graph, eps_choices: Sequence[float]) -> None:
    """The variables' values, symbolic or numerical local derivatives, DAG or tree, predicting,
    and the boxes' eps when numerical."""
    columns = st.columns(max(len(graph.variables), 1) + 2)
    variable_inputs(page, state, graph.variables, columns)
    mode_column, shape_column = columns[-2], columns[-1]
    linked(
        page,
        state,
        "local",
        mode_column.segmented_control,
        "Local derivatives",
        ["symbolic", "numerical"],
        key=f"{page}:mode",
        help="Symbolic: each box's derivative formula. Numerical: central difference "
        "(f(z+eps) − f(z−eps)) / (2 eps) on the box's forward.",
    )
    state["dag"] = not state["tree"]
    state["tree"] = not linked(
        page,
        state,
        "dag",
        shape_column.toggle,
        "Draw as a DAG",
        help="On: a shared subexpression is one box with several "
        "outgoing edges (fan-out). Off: the expression tree, one "
        "box per use.",
    )
    linked(
        page,
        state,
        "predict",
        shape_column.toggle,
        "Predict each step",
        help="Before each backward step is shown, say what a box sends back; then check.",
    )
    if state["local"] == "numerical":
        linked(
            page,
            state,
            "eps",
            st.select_slider,
            "eps for the boxes' central differences",
            eps_choices,
            format_func=lambda v: f"{v:.0e}",
        )


def deck_args(state: dict, values: dict[str, float]) -> tuple:
    """What the playground's deck is a function of."""
    return (
        state["expr"],
        tuple(values.items()),
        state["local"],
        state["eps"],
        not state["tree"],
        state["check_eps"],
    )


def shown_deck(
    page: str,
    state: dict,
    graph: engine.Graph | None,
    error: engine.ParseError | None,
    values: dict[str, float],
    clean: bool,
) -> dict | None:
    """The deck to show: the function's, keeping the step when only the numbers changed; or,
    when the function cannot be read, the last one that worked (None before any did)."""
    if graph is None:
        last_good = st.session_state.get(f"{page}:last-good")
        shown = deck(*last_good) if last_good is not None else None
        if error is not None:
            parse_error(error)
        if shown is not None and not clean:
            st.caption(f"Still showing the last function that worked: {plain(shown['title'])}")
        return shown
    current = deck(*deck_args(state, values))
    # Same picture with other numbers: stay on the step; another picture: start over.
    if st.session_state.get(f"{page}:shape", current["shape"]) != current["shape"]:
        state["step"] = 0
    st.session_state[f"{page}:shape"] = current["shape"]
    st.session_state[f"{page}:last-good"] = deck_args(state, values)
    last = len(current["frames"]) - 1
    state["step"] = (
        min(state["step"], last) if clean else past_the_end(page, "step", state["step"], last)
    )
    return current


def link_settings(state: dict) -> dict[str, object]:
    """Everything the link holds but the values and the step."""
    settings: dict[str, object] = {"expr": state["expr"]}
    if state["local"] != "symbolic":
        settings.update(mode=state["local"], eps=f"{state['eps']:g}")
    if state["tree"]:
        settings["tree"] = "true"
    if state["predict"]:
        settings.update(predict="true", q=state["q"])
    return settings


@st.fragment
def stepper(
    state: dict,
    deck_shown: dict,
    key: str,
    dimmed: bool,
    clean: bool,
    limit: int | None,
    params: dict[str, str],
) -> None:
    """The player, and the link to the function and point it shows.

    The player keeps its step in the URL itself, and its "Copy link" button copies the link
    with the step.
    """
    with st.container(key="player-dimmed" if dimmed else "player"):
        state["step"] = player(
            deck_shown,
            key=key,
            step=state["step"],
            height=(640 if presenting() else 500) if clean else 660,
            theme=theme(),
            present=presenting(),
            embed=clean,
            digest=deck_shown["digest"],
            limit=limit,
        )
    if not dimmed and not clean:
        box = lazy_expander(
            "Link to this function, and the code to embed it in a slide",
            key="playground:link-open",
            icon=":material/link:",
        )
        if box.open:
            with box:
                link_and_embed(params)


def present_and_export(state: dict, values: dict[str, float]) -> None:
    """The presenter switch and the slides download."""
    st.subheader("Present and export")
    presenter_switch()
    st.caption("The link to this view, and the code to embed it, are under the player.")
    slides_button("trace", deck_args(state, values))
