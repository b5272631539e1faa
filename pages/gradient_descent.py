"""Lesson: gradient descent on a typed loss, each step seen through its forward and backward
pass, then the update p ← p − lr · ∂L/∂p with its numbers."""

from __future__ import annotations

import streamlit as st

from engine.descent import MAX_STEPS
from ui.descent import (
    loss_input,
    loss_text,
    parameter_inputs,
    run_buttons,
    run_of,
    show_health,
    show_plots,
    show_update,
    slides_download,
    step_shown,
    usable_loss,
    write_link,
)
from ui.examples import examples
from ui.page import clean_view, opening, presenter_switch, presenting, theme
from ui.player import player
from ui.work import deck, variables_of

PAGE = "gradient-descent"
DEFAULT = "(sigmoid(2w + b) - 1)^2 + (sigmoid(-w + b))^2"
EXAMPLES = examples(DEFAULT, "log(xy)+exp(xy)", "(w - 1)^2 + 4(b + 2)^2")
RATES = {DEFAULT: 0.5, "log(xy)+exp(xy)": 0.01, "(w - 1)^2 + 4(b + 2)^2": 0.1}
PACES = {"1 step a second": 1.0, "3 steps a second": 0.33, "10 steps a second": 0.1}
LIMIT = 1e6


def read_link(link) -> dict:
    expr = link.text("expr", DEFAULT)
    return {
        "expr": expr,
        "values": link.point(variables_of(expr), EXAMPLES.get(expr, {}), 0.5, -LIMIT, LIMIT),
        "lr": link.number("lr", RATES.get(expr, 0.1), 0, 1e3),
        "steps": link.whole("steps", 0, 0, MAX_STEPS),
        "running": False,
    }


def reset() -> None:
    state["steps"], state["running"] = 0, False


def rate_of_example() -> None:
    state["lr"] = st.session_state[f"{PAGE}:lr"] = RATES[state["expr"]]
    reset()


clean = clean_view()
state = opening(
    PAGE,
    read_link,
    "Gradient descent",
    "Backpropagation gives the gradient of the loss; gradient descent takes a step "
    "against it. Type a loss of some parameters, pick where they start and the "
    "learning rate, and take one step at a time: each step is a forward pass, a "
    "backward pass, and an update of every parameter.",
    shown=not clean,
)
if not clean:
    loss_input(PAGE, state, EXAMPLES, reset, rate_of_example)
graph = usable_loss(state["expr"])

names = graph.variables
if not clean:
    parameter_inputs(PAGE, state, names, LIMIT, reset)
start = tuple((n, float(state["values"].get(n, 0.5))) for n in names)
pace = run_buttons(PAGE, state, list(PACES), reset)
st.session_state[f"{PAGE}:fresh"] = True


@st.fragment(run_every=PACES[pace] if state["running"] else None)
def lesson() -> None:
    """Everything that changes with a step; while training, this part alone runs again."""
    if state["running"] and not st.session_state.pop(f"{PAGE}:fresh", False):
        state["steps"] = min(state["steps"] + 1, MAX_STEPS)
    run = run_of(state["expr"], start, state["lr"], state["steps"])
    state["steps"] = len(run.steps)
    if state["running"] and (run.stop is not None or state["steps"] >= MAX_STEPS):
        state["running"] = False
        st.rerun(scope="app")
    write_link(state, start)
    st.subheader(loss_text(run.losses[-1]))
    st.text(f"step {len(run.steps)}" + (" · training…" if state["running"] else ""))
    show_health(run)
    step, preview = step_shown(state["expr"], run)
    at = tuple(step.before.items())
    title = (
        "The first step, before it is taken"
        if preview
        else f"Step {step.number}: forward and backward at the parameters before it"
    )
    st.markdown(f"#### {title}")
    only_update = state["running"] or st.toggle(
        "Show the update only",
        key=f"{PAGE}:update-only",
        help="Hide the forward and backward pass and show the update of each parameter.",
    )
    if not only_update:
        player(
            deck(state["expr"], at),
            key=f"{PAGE}:player",
            height=460 if clean else 520,
            theme=theme(),
            present=presenting(),
            embed=clean,
        )
    elif state["running"]:
        st.caption(
            "While training runs, only the updates are shown; pause to step through "
            "a step's forward and backward pass."
        )
    st.markdown("#### The update: each parameter against its gradient")
    show_update(step, preview)
    if clean:
        return
    show_plots(graph, run, PAGE)


lesson()
if presenting():
    presenter_switch()
elif not clean:
    share = st.columns(2)
    with share[0]:
        presenter_switch()
    with share[1]:
        slides_download(state, start)
