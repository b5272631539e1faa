"""The playground's shared parts: its options row, which deck it shows (and the last one
that worked, while the typed function cannot be read), its link, and the player with the
link under it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import streamlit as st

import engine
from engine.collapse import (
    Subexpression,
    collapse_text,
    function_calls,
    read_collapse,
    subexpressions,
)
from engine.format import step_text

from .page import link_problems, past_the_end, presenter_switch, presenting, theme
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
from .work import FIRST_STEPS, Values, deck


def heading(intro: str) -> None:
    """The page's title with what to do beside it (under it on a phone), in as little height as
    they fit, so that the player is on the first screen (app.py, FIRST_SCREEN)."""
    with st.container(
        horizontal=True, key="playground-head", vertical_alignment="center", gap="medium"
    ):
        st.title("Backprop Lab", width="content")
        st.caption(intro)


def options(page: str, state: dict, graph: engine.Graph, eps_choices: Sequence[float]) -> None:
    """The variables' values, then symbolic or numerical local derivatives, DAG or tree and
    predicting, in one row that wraps: the options go under the values when both do not fit
    (app.py, INPUT_ROWS). The boxes' eps, when numerical, on its own row under them. On a
    phone, all of it goes under the player (app.py, FIRST_SCREEN)."""
    with st.container(key=f"{page}-settings"):
        with st.container(horizontal=True, key=f"{page}-inputs", vertical_alignment="bottom"):
            if graph.variables:
                variable_inputs(page, state, graph.variables)
            with st.container(
                horizontal=True,
                key=f"{page}-options",
                width="content",
                vertical_alignment="bottom",
            ):
                linked(
                    page,
                    state,
                    "local",
                    st.segmented_control,
                    "Local derivatives",
                    ["symbolic", "numerical"],
                    key=f"{page}:mode",
                    width="content",
                    help="Symbolic: each box's derivative formula. Numerical: central difference "
                    "(f(z+eps) − f(z−eps)) / (2 eps) on the box's forward.",
                )
                with st.container(key=f"{page}-shape", width="content", gap="small"):
                    state["dag"] = not state["tree"]
                    state["tree"] = not linked(
                        page,
                        state,
                        "dag",
                        st.toggle,
                        "Draw as a DAG",
                        width="content",
                        help="On: a shared subexpression is one box with several "
                        "outgoing edges (fan-out). Off: the expression tree, one "
                        "box per use.",
                    )
                    linked(
                        page,
                        state,
                        "predict",
                        st.toggle,
                        "Predict each step",
                        width="content",
                        help="Before each backward step is shown, say what a box sends back; "
                        "then check.",
                    )
        if state["local"] == "numerical":
            linked(
                page,
                state,
                "eps",
                st.select_slider,
                "eps for the boxes' central differences",
                eps_choices,
                format_func=step_text,
            )


def deck_args(
    state: dict, values: dict[str, float]
) -> tuple[str, Values, str, float, bool, float, tuple[int, ...], bool]:
    """What the playground's deck is a function of."""
    return (
        state["expr"],
        tuple(values.items()),
        state["local"],
        state["eps"],
        not state["tree"],
        state["check_eps"],
        collapsed_ids(state),
        bool(state.get("hide_constants")) and not state["predict"],
    )


# -- collapsing subexpressions into one box each ----------------------------------------------


def collapsed_ids(state: dict) -> tuple[int, ...]:
    """The node ids shown collapsed, once read for the function and drawing shown; none while
    predicting (the questions are about every box)."""
    ids = state.get("collapse")
    if not isinstance(ids, tuple) or state.get("collapse_for") != _drawing(state):
        return ()
    return () if state["predict"] else ids


def _drawing(state: dict) -> tuple[str, bool]:
    return state["expr"], state["tree"]


def read_collapsed(page: str, state: dict, graph: engine.Graph) -> None:
    """Make `state["collapse"]` node ids of `graph`: from the link's text (collapse=4,9) the
    first time, saying what is wrong with it; none when the function or drawing changed."""
    ids = state.get("collapse", "")
    if isinstance(ids, tuple) and state.get("collapse_for") == _drawing(state):
        return
    if isinstance(ids, str) and ids:
        try:
            ids = read_collapse(ids, graph)
        except ValueError as error:
            link_problems(page).append(f"The link's collapse: {error}; nothing is collapsed.")
            ids = ()
    else:
        ids = ()
    state["collapse"], state["collapse_for"] = ids, _drawing(state)


def collapse_control(page: str, state: dict, graph: engine.Graph) -> None:
    """ "Collapse": the subexpressions shown as one box each, by their text, and a button that
    collapses every function call (one box per neuron)."""
    read_collapsed(page, state, graph)
    found = subexpressions(graph)
    constants = any(n.kind == "constant" for n in graph.nodes) and len(graph.nodes) > 1
    if not (found or constants) or state["predict"]:  # the questions are about every box
        return
    key = f"{page}:collapse"
    texts = _labels(found)
    # The list may have changed outside the widget (a box clicked open, another function).
    if st.session_state.get(key) != list(state["collapse"]):
        st.session_state[key] = list(state["collapse"])

    def chosen() -> None:
        state["collapse"] = tuple(sorted(st.session_state[key]))

    calls = function_calls(graph)

    def every_call() -> None:
        state["collapse"] = tuple(sorted({*state["collapse"], *calls}))
        st.session_state[key] = list(state["collapse"])

    def hidden() -> None:  # before the run: the control is drawn after the player
        state["hide_constants"] = st.session_state[f"{page}:hide_constants"]

    left, right = st.columns([5, 2], vertical_alignment="bottom")
    if constants:
        linked(
            page,
            state,
            "hide_constants",
            right.toggle,
            "Hide constants",
            on_change=hidden,
            help="Write each constant into the box that reads it: 2·x is one box.",
        )
    if not found:
        return
    left.multiselect(
        "Collapse",
        list(texts),
        key=key,
        format_func=texts.__getitem__,
        on_change=chosen,
        placeholder="Subexpressions to show as one box",
        help="A collapsed subexpression is one box that still shows its value and d_out; "
        "stepping goes over it, and its local derivatives come from its inside. Click a "
        "collapsed box in the diagram to expand it.",
    )
    right.button(
        "Collapse every function call",
        on_click=every_call,
        disabled=not calls,
        help="One box per call of sigmoid, tanh, log, … that holds no other call: one box "
        "per neuron.",
    )


def _labels(found: Sequence[Subexpression]) -> dict[int, str]:
    """Each subexpression as its text; the same text twice (the tree drawing) numbered."""
    labels: dict[int, str] = {}
    seen: dict[str, int] = {}
    for s in found:
        seen[s.text] = seen.get(s.text, 0) + 1
        labels[s.node] = s.text if seen[s.text] == 1 else f"{s.text} ({seen[s.text]})"
    return labels


def expand_box(page: str, state: dict, sent: object) -> None:
    """A click on a collapsed box in the player (`sent`, untrusted): expand it. The player
    keeps the student's place in the new deck itself (assets/player.js, bpCorrespondingStep):
    on the same node's step, and from the box's forward step on the first step of its inside."""
    if not (isinstance(sent, dict) and type(sent.get("node")) is int):
        return
    root = sent["node"] - 1
    if root not in collapsed_ids(state):
        return
    state["collapse"] = tuple(n for n in state["collapse"] if n != root)
    st.rerun()


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
    read_collapsed(page, state, graph)
    args = deck_args(state, values)
    current = deck(*args, first_steps_only=_first_steps_first(page, state, args, clean))
    # Same picture with other numbers: stay on the step; another picture: start over, unless
    # it is the same function with other boxes collapsed or expanded, or its constants hidden
    # or shown: the player on the page then goes to the corresponding step itself
    # (assets/player_app.js), and the URL's step follows it.
    if st.session_state.get(f"{page}:shape", current["shape"]) != current["shape"]:
        state["step"] = 0
    st.session_state[f"{page}:shape"] = current["shape"]
    st.session_state[f"{page}:last-good"] = deck_args(state, values)
    last = current["steps"] - 1
    state["step"] = (
        min(state["step"], last) if clean else past_the_end(page, "step", state["step"], last)
    )
    return current


def _first_steps_first(page: str, state: dict, args: tuple, clean: bool) -> bool:
    """Whether a new function's deck may come with its first steps only (ui.work.deck's
    `first_steps_only`, for a large graph): its diagram is on screen sooner, and the page sends
    the whole deck in the run after the player has drawn it (`stepper`). Not for a prediction,
    which waits at a step of its own, nor in a clean view, which draws nothing else to wait for,
    nor for a link to a later step."""
    last_good = st.session_state.get(f"{page}:last-good")
    if clean or state["predict"]:
        return False
    if last_good is None:
        return state["step"] < FIRST_STEPS  # a link to a later step: that step at once
    return last_good[0] != args[0]  # the same function: its whole deck, at the student's step


def link_settings(state: dict) -> dict[str, object]:
    """Everything the link holds but the values and the step."""
    settings: dict[str, object] = {"expr": state["expr"]}
    if state["local"] != "symbolic":
        settings.update(mode=state["local"], eps=f"{state['eps']:g}")
    if state["tree"]:
        settings["tree"] = "true"
    if state["predict"]:
        settings.update(predict="true", q=state["q"])
    if collapsed_ids(state):
        settings["collapse"] = collapse_text(collapsed_ids(state))
    if state.get("hide_constants"):
        settings["hide_constants"] = "true"
    return settings


def whole_page(page: str) -> bool:
    """Whether this run draws the whole page, or only its first screen: the inputs and the
    player. The session's first run of the page draws only the first screen, so that the browser
    shows the diagram without first loading and running the code of what is under it (a data
    grid, a slider, a multiselect, a download button: more than the first screen's own) or of
    the Examples box's combo box; the player says when its diagram is on screen, and the page
    runs again, whole (`stepper`). Every other run draws the whole page."""
    key = f"{page}:opened"
    first = key not in st.session_state
    st.session_state[key] = "first screen" if first else "whole"
    return not first


def _drawn(page: str, whole: bool) -> None:
    """The player's diagram is on screen: the rest of a page opened with its first screen
    only (`whole_page`) follows, and so does the whole deck of one that came with its first
    steps only (`whole` False)."""
    if not whole or st.session_state.get(f"{page}:opened") == "first screen":
        st.rerun(scope="app")


# The player's height on the playground: "fill" takes what the first screen has left under the
# inputs (assets/player_app.js), so that at 1280×800 its diagram and step controls show at once.
PLAYER_HEIGHT: Literal["fill"] = "fill"


@st.fragment
def stepper(
    state: dict,
    deck_shown: dict,
    key: str,
    dimmed: bool,
    clean: bool,
    limit: int | None,
    params: dict[str, str],
    page: str = "playground",
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
            height=(640 if presenting() else 500) if clean else PLAYER_HEIGHT,
            theme=theme(),
            present=presenting(),
            embed=clean,
            digest=deck_shown["digest"],
            limit=limit,
            on_expand=lambda sent: expand_box(page, state, sent),
            on_drawn=None
            if dimmed or clean
            else lambda: _drawn(page, len(deck_shown["frames"]) == deck_shown["steps"]),
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
