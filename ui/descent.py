"""The gradient-descent lesson's shared parts: the run for the page's state, cached, and how a
step and the run's health are shown."""

from __future__ import annotations

import math

import streamlit as st

from drawing.descent import loss_contour, loss_curve
from engine import Graph
from engine.descent import Run, Step, gradient_step, train
from engine.explain import number_text
from ui.work import parse


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
