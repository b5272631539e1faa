"""Lesson: gradient descent on a typed loss, each step seen through its forward and backward
pass, then the update p ← p − lr · ∂L/∂p with its numbers."""

from __future__ import annotations

import streamlit as st

import engine
from engine.descent import MAX_STEPS
from ui.descent import loss_text, run_of, show_health, show_plots, show_update, step_shown
from ui.page import (
    clean_view,
    example_chooser,
    presenter_switch,
    presenting,
    show_link_problems,
    state_from_link,
    theme,
)
from ui.player import player
from ui.url import number_param
from ui.work import deck, parse, slides, variables_of

PAGE = "gradient-descent"
DEFAULT = "(sigmoid(2w + b) - 1)^2 + (sigmoid(-w + b))^2"
EXAMPLES = {
    DEFAULT: {"w": 0.5, "b": 0.0},
    "log(xy)+exp(xy)": {"x": 1.0, "y": 2.0},
    "(w - 1)^2 + 4(b + 2)^2": {"w": 0.0, "b": 0.0},
}
RATES = {DEFAULT: 0.5, "log(xy)+exp(xy)": 0.01, "(w - 1)^2 + 4(b + 2)^2": 0.1}
PACES = {"1 step a second": 1.0, "3 steps a second": 0.33, "10 steps a second": 0.1}
LIMIT = 1e6


def read_link(link) -> dict:
    expr = link.text("expr", DEFAULT)
    start = {
        v: link.number(v, EXAMPLES.get(expr, {}).get(v, 0.5), -LIMIT, LIMIT)
        for v in variables_of(expr)
    }
    return {
        "expr": expr,
        "values": start,
        "lr": link.number("lr", RATES.get(expr, 0.1), 0, 1e3),
        "steps": link.whole("steps", 0, 0, MAX_STEPS),
        "running": False,
    }


def reset() -> None:
    state["steps"], state["running"] = 0, False


def rate_of_example() -> None:
    state["lr"] = st.session_state[f"{PAGE}:lr"] = RATES[state["expr"]]
    reset()


state = state_from_link(PAGE, read_link)
clean = clean_view()
if not clean:
    st.title("Gradient descent")
    st.markdown(
        "Backpropagation gives the gradient of the loss; gradient descent takes a step "
        "against it. Type a loss of some parameters, pick where they start and the "
        "learning rate, and take one step at a time: each step is a forward pass, a "
        "backward pass, and an update of every parameter."
    )
    show_link_problems(PAGE)
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    st.session_state.setdefault(f"{PAGE}:expr", state["expr"])
    state["expr"] = left.text_input(
        "Loss L",
        key=f"{PAGE}:expr",
        max_chars=engine.MAX_LENGTH,
        on_change=reset,
        help="A function of the parameters, typed as on a blackboard: (w - 1)^2 + (b + 2)^2.",
    )
    right.selectbox(
        "Examples",
        list(EXAMPLES),
        index=None,
        placeholder="Pick an example",
        key=f"{PAGE}:example",
        on_change=example_chooser(PAGE, state, EXAMPLES, rate_of_example),
    )
try:
    graph = parse(state["expr"])
    error = None if graph.variables else "the loss needs at least one parameter to learn"
except engine.ParseError as err:
    graph, error = None, err
if error is not None:
    st.error(f"**Cannot use this loss:** {error}", icon=":material/error:")
    if isinstance(error, engine.ParseError):
        st.code(error.pointer(), language=None)
    st.stop()

names = graph.variables
if not clean:
    columns = st.columns(len(names) + 1)
    for column, name in zip(columns, names, strict=False):
        state["values"].setdefault(name, 0.5)
        st.session_state.setdefault(f"{PAGE}:value:{name}", state["values"][name])
        state["values"][name] = column.number_input(
            f"{name} at the start",
            key=f"{PAGE}:value:{name}",
            step=0.1,
            format="%g",
            min_value=-LIMIT,
            max_value=LIMIT,
            on_change=reset,
        )
    st.session_state.setdefault(f"{PAGE}:lr", state["lr"])
    state["lr"] = columns[-1].number_input(
        "Learning rate lr",
        key=f"{PAGE}:lr",
        format="%g",
        min_value=0.0,
        max_value=1e3,
        step=0.05,
        on_change=reset,
    )
start = tuple((n, float(state["values"].get(n, 0.5))) for n in names)


def take_step() -> None:
    state["steps"], state["running"] = min(state["steps"] + 1, MAX_STEPS), False


def train(on: bool) -> None:
    state["running"] = on


buttons = st.columns([2, 1, 1, 2], vertical_alignment="bottom")
buttons[0].button(
    "Take a gradient step", type="primary", icon=":material/south_east:", on_click=take_step
)
if state["running"]:
    buttons[1].button("Pause", icon=":material/pause:", on_click=train, args=(False,))
else:
    buttons[1].button("Train", icon=":material/play_arrow:", on_click=train, args=(True,))
buttons[2].button("Reset", on_click=reset, icon=":material/restart_alt:")
pace = buttons[3].selectbox("Pace", list(PACES), index=1, key=f"{PAGE}:pace")
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
    st.query_params.from_dict(
        {
            "expr": state["expr"],
            "lr": number_param(state["lr"]),
            "steps": str(state["steps"]),
            **{n: number_param(v) for n, v in start},
            **{
                k: st.query_params[k] for k in ("present", "theme", "embed") if k in st.query_params
            },
        }
    )
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
    shown, _ = step_shown(state["expr"], run_of(state["expr"], start, state["lr"], state["steps"]))
    share[1].download_button(
        "Download this step's slides (HTML)",
        slides(state["expr"], tuple(shown.before.items()), theme=theme()),
        file_name="backprop-lab-gradient-step.html",
        mime="text/html",
        icon=":material/slideshow:",
    )
