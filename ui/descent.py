"""The gradient-descent lesson's shared parts: the run for the page's state, cached, and how a
step and the run's health are shown."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import streamlit as st

import engine
from drawing.descent import loss_contour, loss_curve
from engine import Graph
from engine.descent import MAX_STEPS, Run, Step, gradient_step, train
from engine.explain import number_text
from ui.page import theme, view_params
from ui.url import number_param
from ui.widgets import function_and_examples, input_row, nudge, parse_error
from ui.work import parse, slides


def run_of(expr: str, start: tuple[tuple[str, float], ...], lr: float, steps: int) -> Run:
    """`steps` gradient steps from `start` (fewer where the loss or a parameter stops being a
    number). The run is a function of the link's state, so a link replays it exactly; the
    session's last run is extended, so that training step by step costs a step per tick."""
    last = st.session_state.get("gradient-descent:run")
    previous = last[1] if last is not None and last[0] == expr else None
    run = train(parse(expr), dict(start), lr, steps, previous)
    st.session_state["gradient-descent:run"] = (expr, run)
    return run


def step_shown(expr: str, run: Run) -> tuple[Step, bool]:
    """The last step taken, or, before the first, the step the button would take (True)."""
    if run.steps:
        return run.steps[-1], False
    return gradient_step(parse(expr), dict(run.start), run.lr), True


def loss_text(value: float) -> str:
    return f"loss = {value:.6g}" if math.isfinite(value) else f"loss = {number_text(value)}"


def show_health(run: Run) -> None:
    """Say when too large a rate shows: the loss growing, or nan/inf ending the run."""
    if run.stop is not None:
        st.error(run.stop.message, icon=":material/block:")
    elif run.growing():
        st.warning(
            f"The loss grew: {loss_text(run.losses[-2])[7:]} → "
            f"{loss_text(run.losses[-1])[7:]}. The learning rate "
            f"{number_text(run.lr)} is too large here: each step overshoots the "
            "bottom of the valley and lands higher up the other side. Try a smaller "
            "one.",
            icon=":material/trending_up:",
        )


def show_update(step: Step, preview: bool) -> None:
    """Each parameter's update with its numbers, and the loss it leads to."""
    lines = [u.text() for u in step.updates]
    st.code("\n".join(lines), language=None, wrap_lines=True)
    change = step.loss_after - step.loss
    if math.isfinite(change):
        word = "lowers" if change < 0 else "raises" if change > 0 else "leaves"
        verb = "would take" if preview else "took"
        st.caption(
            f"This step {word} the loss from {step.loss:.6g} to {step.loss_after:.6g}"
            f" ({'+' if change > 0 else ''}{change:.3g}). It {verb} the gradient from "
            "the backward pass above and moved each parameter a learning rate's worth "
            "against it."
        )


def show_plots(graph: Graph, run: Run, page: str) -> None:
    """The loss against the step, and the map over two parameters (chosen where there are
    more) with the path and the next step."""
    names = graph.variables
    left, right = st.columns(2)
    left.plotly_chart(loss_curve(run), key=f"{page}:curve")
    with right:
        if len(names) < 2:
            st.caption("With one parameter there is no map; the curve shows the loss.")
            return
        pair = names[:2]
        if len(names) > 2:
            x_var = st.selectbox("Map across", names, index=0, key=f"{page}:x")
            y_var = st.selectbox("and", [n for n in names if n != x_var], key=f"{page}:y")
            pair = (x_var, y_var)
        st.plotly_chart(loss_contour(graph, run, pair[0], pair[1]), key=f"{page}:map")


def parameter_inputs(
    page: str, state: dict, names: Sequence[str], limit: float, on_change: Callable[[], None]
) -> None:
    """Where each parameter starts, and the learning rate, in one row that wraps."""
    row = input_row(f"{page}-values")
    for name in names:
        state["values"].setdefault(name, 0.5)
        st.session_state.setdefault(f"{page}:value:{name}", state["values"][name])
        state["values"][name] = row.number_input(
            f"{name} at the start",
            key=f"{page}:value:{name}",
            step=nudge(st.session_state[f"{page}:value:{name}"]),
            format="%g",
            min_value=-limit,
            max_value=limit,
            on_change=on_change,
        )
    st.session_state.setdefault(f"{page}:lr", state["lr"])
    state["lr"] = row.number_input(
        "Learning rate lr",
        key=f"{page}:lr",
        format="%g",
        min_value=0.0,
        max_value=1e3,
        step=0.05,
        on_change=on_change,
    )


def run_buttons(page: str, state: dict, paces: Sequence[str], reset: Callable[[], None]) -> str:
    """Take a step, train or pause, reset, and the pace of training; returns the pace chosen."""

    def take_step() -> None:
        state["steps"], state["running"] = min(state["steps"] + 1, MAX_STEPS), False

    def set_running(on: bool) -> None:
        state["running"] = on

    buttons = st.columns([2, 1, 1, 2], vertical_alignment="bottom")
    buttons[0].button(
        "Take a gradient step", type="primary", icon=":material/south_east:", on_click=take_step
    )
    if state["running"]:
        buttons[1].button("Pause", icon=":material/pause:", on_click=set_running, args=(False,))
    else:
        buttons[1].button("Train", icon=":material/play_arrow:", on_click=set_running, args=(True,))
    buttons[2].button("Reset", on_click=reset, icon=":material/restart_alt:")
    return buttons[3].selectbox("Pace", list(paces), index=1, key=f"{page}:pace")


def write_link(state: dict, start: Sequence[tuple[str, float]]) -> None:
    """The address bar names the loss, rate, start and steps taken, keeping the view's own
    parameters (present, theme, embed)."""
    st.query_params.from_dict(
        {
            "expr": state["expr"],
            "lr": number_param(state["lr"]),
            "steps": str(state["steps"]),
            **{n: number_param(v) for n, v in start},
            **view_params(),
        }
    )


def slides_download(state: dict, start: tuple[tuple[str, float], ...]) -> None:
    """A button that downloads the step shown as a slide file."""
    shown, _ = step_shown(state["expr"], run_of(state["expr"], start, state["lr"], state["steps"]))
    st.download_button(
        "Download this step's slides (HTML)",
        slides(state["expr"], tuple(shown.before.items()), theme=theme()),
        file_name="backprop-lab-gradient-step.html",
        mime="text/html",
        icon=":material/slideshow:",
    )


def loss_input(
    page: str,
    state: dict,
    examples: dict[str, dict[str, float]],
    on_change: Callable[[], None],
    on_example: Callable[[], None],
) -> None:
    """The loss typed as on a blackboard, beside a box of examples."""
    function_and_examples(
        page,
        state,
        examples,
        st.columns([3, 2], vertical_alignment="bottom"),
        label="Loss L",
        help="A function of the parameters, typed as on a blackboard: (w - 1)^2 + (b + 2)^2.",
        on_change=on_change,
        on_example=on_example,
    )


def usable_loss(expr: str) -> Graph:
    """The loss's graph; a loss that cannot be read, or has no parameter, is said why and the
    page stops there."""
    error: engine.ParseError | str | None
    try:
        graph = parse(expr)
        error = None if graph.variables else "the loss needs at least one parameter to learn"
    except engine.ParseError as err:
        error = err
    if error is not None:
        parse_error(error, "Cannot use this loss")
        st.stop()
    return graph
