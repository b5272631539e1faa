"""Playground: type a function, step through forward, topological order and backward."""

from __future__ import annotations

import streamlit as st

import engine
from ui.page import (
    clean_view,
    past_the_end,
    presenter_switch,
    presenting,
    show_link_problems,
    state_from_link,
    theme,
    write_link,
)
from ui.player import player
from ui.predict import predict_steps
from ui.url import query
from ui.widgets import (
    examples_box,
    function_input,
    function_plot,
    gradient_check,
    link_and_embed,
    linked,
    parse_error,
    plain,
    reading,
    slides_button,
    variable_inputs,
)
from ui.work import deck, parse, variables_of

PAGE = "playground"
EXAMPLES: dict[str, dict[str, float]] = {
    "log(xy)+exp(xy)": {"x": 1.0, "y": 2.0},
    "sin(x^2)": {"x": 3.0},
    "x^2": {"x": 1.0},
    "sigmoid(w x + b)": {"w": 2.0, "x": -1.0, "b": 0.5},
    "(a+b)(b+1)": {"a": 2.0, "b": 1.0},
    "2x + 3y": {"x": 1.0, "y": 1.0},
    "x*x": {"x": 3.0},
    "x/x": {"x": 3.0},
}
DEFAULT = "log(xy)+exp(xy)"
EPS_CHOICES = [10.0**-k for k in range(1, 13)]


def read_link(link) -> dict:
    expr = link.text("expr", DEFAULT)
    variables = link.variables = frozenset(variables_of(expr))
    defaults = EXAMPLES.get(expr, {})
    values = {name: link.variable(name, defaults.get(name, 1.0)) for name in sorted(variables)}
    return {
        "expr": expr,
        "values": values,
        "local": link.choice("mode", "symbolic", ("symbolic", "numerical")),
        "eps": link.stop("eps", 1e-4, EPS_CHOICES),
        "tree": link.flag("tree", False),
        "step": link.whole("step", 0),
        "check_eps": link.stop("check", 1e-4, EPS_CHOICES),
        "predict": link.flag("predict", False),
        "q": link.whole("q", 1, 1),
    }


state = state_from_link(PAGE, read_link)
clean = clean_view()


# -- inputs ---------------------------------------------------------------------------------
if not clean:
    st.title("Backprop Lab")
    st.caption(
        "Type a function as on a blackboard: `log(xy)+exp(xy)`, `sin(x^2)`, `2x + 3y`, "
        "`sigmoid(w x + b)`. Then step through the forward pass, the topological order "
        "and the backward pass."
    )
    show_link_problems(PAGE)
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    function_input(
        PAGE,
        state,
        left,
        help="Implicit multiplication works: 2x, xy, x(y+1). "
        "Functions: sin cos tan exp log ln sqrt tanh "
        "sigmoid relu abs; constants pi and e.",
    )
    examples_box(PAGE, state, EXAMPLES, right)

try:
    graph = parse(state["expr"], merge=not state["tree"])
    error = None
except engine.ParseError as err:
    graph, error = None, err
if graph is not None and not clean:
    reading(graph)

if graph is not None and not clean:
    columns = st.columns(max(len(graph.variables), 1) + 2)
    variable_inputs(PAGE, state, graph.variables, columns)
    mode_column, shape_column = columns[-2], columns[-1]
    linked(
        PAGE,
        state,
        "local",
        mode_column.segmented_control,
        "Local derivatives",
        ["symbolic", "numerical"],
        key=f"{PAGE}:mode",
        help="Symbolic: each box's derivative formula. Numerical: central difference "
        "(f(z+eps) − f(z−eps)) / (2 eps) on the box's forward.",
    )
    state["dag"] = not state["tree"]
    state["tree"] = not linked(
        PAGE,
        state,
        "dag",
        shape_column.toggle,
        "Draw as a DAG",
        help="On: a shared subexpression is one box with several "
        "outgoing edges (fan-out). Off: the expression tree, one "
        "box per use.",
    )
    linked(
        PAGE,
        state,
        "predict",
        shape_column.toggle,
        "Predict each step",
        help="Before each backward step is shown, say what a box sends back; then check.",
    )
    if state["local"] == "numerical":
        linked(
            PAGE,
            state,
            "eps",
            st.select_slider,
            "eps for the boxes' central differences",
            EPS_CHOICES,
            format_func=lambda v: f"{v:.0e}",
        )
    graph = parse(state["expr"], merge=not state["tree"])

# -- the diagram and the steps --------------------------------------------------------------
values = {name: state["values"].get(name, 1.0) for name in graph.variables} if graph else {}
if graph is not None:
    current = deck(
        state["expr"],
        tuple(values.items()),
        state["local"],
        state["eps"],
        not state["tree"],
        state["check_eps"],
    )
    # Same picture with other numbers: stay on the step; another picture: start over.
    if st.session_state.get(f"{PAGE}:shape", current["shape"]) != current["shape"]:
        state["step"] = 0
    st.session_state[f"{PAGE}:shape"] = current["shape"]
    st.session_state[f"{PAGE}:last-good"] = (
        state["expr"],
        tuple(values.items()),
        state["local"],
        state["eps"],
        not state["tree"],
        state["check_eps"],
    )
    last = len(current["frames"]) - 1
    state["step"] = (
        min(state["step"], last) if clean else past_the_end(PAGE, "step", state["step"], last)
    )
    shown = current
else:
    last_good = st.session_state.get(f"{PAGE}:last-good")
    shown = deck(*last_good) if last_good is not None else None
    parse_error(error)
    if shown is not None and not clean:
        st.caption(f"Still showing the last function that worked: {plain(shown['title'])}")

player_key, limit = f"{PAGE}:player", None
if graph is not None and state["predict"] and not clean:
    # Predict, then check: the player waits at the step asked about.
    player_key, limit = predict_steps(
        PAGE,
        state,
        graph.trace(values, local=state["local"], eps=state["eps"]),
        (state["expr"], tuple(values.items()), state["local"], not state["tree"]),
    )

# -- the link: everything but the step, which the player below keeps up to date -------------
settings: dict[str, object] = {"expr": state["expr"]}
if state["local"] != "symbolic":
    settings.update(mode=state["local"], eps=f"{state['eps']:g}")
if state["tree"]:
    settings["tree"] = "true"
if state["predict"]:
    settings.update(predict="true", q=state["q"])
params = query(settings, values)
write_link(PAGE, {**settings, "step": state["step"]}, values)


@st.fragment
def stepper(deck_shown: dict, key: str, dimmed: bool) -> None:
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
        with st.expander(
            "Link to this function, and the code to embed it in a slide", icon=":material/link:"
        ):
            link_and_embed(params)


if shown is not None:
    stepper(shown, player_key, graph is None)
    if presenting():
        presenter_switch()

if graph is not None and not clean and graph.variables:
    function_plot(PAGE, state["expr"], not state["tree"], graph.variables, values)

if graph is not None and not clean:
    check, share = st.columns([3, 2])
    with check:
        gradient_check(PAGE, state, graph, values, EPS_CHOICES)
    with share:
        st.subheader("Present and export")
        presenter_switch()
        st.caption("The link to this view, and the code to embed it, are under the player.")
        slides_button(
            "trace",
            (
                state["expr"],
                tuple(values.items()),
                state["local"],
                state["eps"],
                not state["tree"],
                state["check_eps"],
            ),
        )
