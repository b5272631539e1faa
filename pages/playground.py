"""Playground: type a function, step through forward, topological order and backward."""

from __future__ import annotations

import streamlit as st

import engine
from ui.examples import examples
from ui.page import (
    clean_view,
    presenter_switch,
    presenting,
    show_link_problems,
    state_from_link,
    write_link,
)
from ui.playground import (
    collapse_control,
    heading,
    link_settings,
    options,
    present_and_export,
    shown_deck,
    stepper,
    whole_page,
)
from ui.predict import predict_steps
from ui.url import query
from ui.widgets import (
    examples_box,
    function_input,
    function_plot,
    gradient_check,
    reading,
)
from ui.work import parse, variables_of

PAGE = "playground"
EXAMPLES = examples(
    "log(xy)+exp(xy)", "sin(x^2)", "x^2", "sigmoid(w x + b)", "(a+b)(b+1)", "2x + 3y", "x*x", "x/x"
)
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
        "collapse": link.text("collapse", ""),  # node numbers, read once the graph is
        "hide_constants": link.flag("hide_constants", False),
    }


state = state_from_link(PAGE, read_link)
clean = clean_view()
whole = whole_page(PAGE)  # the session's first run: the first screen only, then the rest


# -- inputs ---------------------------------------------------------------------------------
if not clean:
    heading(
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

try:
    graph = parse(state["expr"], merge=not state["tree"])
    error = None
except engine.ParseError as err:
    graph, error = None, err
if not clean and (whole or graph is None):
    # Beside the Function box, but not needed to see the diagram: its code (a combo box's) comes
    # with the rest of the page, unless there is no diagram to show first.
    examples_box(PAGE, state, EXAMPLES, right)
if graph is not None and not clean:
    reading(graph)

if graph is not None and not clean:
    options(PAGE, state, graph, EPS_CHOICES)
    graph = parse(state["expr"], merge=not state["tree"])

# -- the diagram and the steps --------------------------------------------------------------
values = {name: state["values"].get(name, 1.0) for name in graph.variables} if graph else {}
shown = shown_deck(PAGE, state, graph, error, values, clean)

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
settings = link_settings(state)
params = query(settings, values)
write_link(PAGE, {**settings, "step": state["step"]}, values)


if shown is not None:
    stepper(state, shown, player_key, graph is None, clean, limit, params)
    if presenting():
        presenter_switch()

if graph is not None and not clean and whole:
    # Under the diagram it acts on, so that the diagram and its controls are on the first screen.
    collapse_control(PAGE, state, graph)

if graph is not None and not clean and whole and graph.variables:
    function_plot(PAGE, state["expr"], not state["tree"], graph.variables, values)

if graph is not None and not clean and whole:
    check, share = st.columns([3, 2])
    with check:
        gradient_check(PAGE, state, graph, values, EPS_CHOICES)
    with share:
        present_and_export(state, values)
