"""Playground: type a function, step through forward, topological order and backward."""

from __future__ import annotations

import streamlit as st

import engine
from ui.page import (clean_view, past_the_end, presenter_switch, presenting, show_link_problems,
                     state_from_link, theme, write_link)
from ui.player import player
from ui.predict import ask, questions, score
from ui.url import link, query
from ui.widgets import (examples_box, function_input, linked, parse_error, plain, reading,
                        slides_button, variable_inputs)
from ui.work import deck, figure_of_function, parse, variables_of

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
EPS_CHOICES = [10.0 ** -k for k in range(1, 13)]


def read_link(link) -> dict:
    expr = link.text("expr", DEFAULT)
    variables = link.variables = frozenset(variables_of(expr))
    defaults = EXAMPLES.get(expr, {})
    values = {name: link.variable(name, defaults.get(name, 1.0)) for name in sorted(variables)}
    return {
        "expr": expr, "values": values,
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
    st.caption("Type a function as on a blackboard: `log(xy)+exp(xy)`, `sin(x^2)`, `2x + 3y`, "
               "`sigmoid(w x + b)`. Then step through the forward pass, the topological order "
               "and the backward pass.")
    show_link_problems(PAGE)
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    function_input(PAGE, state, left, help="Implicit multiplication works: 2x, xy, x(y+1). "
                                           "Functions: sin cos tan exp log ln sqrt tanh "
                                           "sigmoid relu abs; constants pi and e.")
    examples_box(PAGE, state, EXAMPLES, right)

try:
    graph = parse(state["expr"], merge=not state["tree"])
    error = None
except engine.ParseError as err:
    graph, error = None, err
if graph is not None and not clean:
    reading(graph, left)

if graph is not None and not clean:
    columns = st.columns(max(len(graph.variables), 1) + 2)
    variable_inputs(PAGE, state, graph.variables, columns)
    mode_column, shape_column = columns[-2], columns[-1]
    linked(PAGE, state, "local", mode_column.segmented_control, "Local derivatives",
           ["symbolic", "numerical"], key=f"{PAGE}:mode",
           help="Symbolic: each box's derivative formula. Numerical: central difference "
                "(f(z+eps) − f(z−eps)) / (2 eps) on the box's forward.")
    state["dag"] = not state["tree"]
    state["tree"] = not linked(PAGE, state, "dag", shape_column.toggle, "Draw as a DAG",
                               help="On: a shared subexpression is one box with several "
                                    "outgoing edges (fan-out). Off: the expression tree, one "
                                    "box per use.")
    linked(PAGE, state, "predict", shape_column.toggle, "Predict each step",
           help="Before each backward step is shown, say what a box sends back; then check.")
    if state["local"] == "numerical":
        linked(PAGE, state, "eps", st.select_slider, "eps for the boxes' central differences",
               EPS_CHOICES, format_func=lambda v: f"{v:.0e}")
    graph = parse(state["expr"], merge=not state["tree"])

# -- the diagram and the steps --------------------------------------------------------------
values = {name: state["values"].get(name, 1.0) for name in graph.variables} if graph else {}
if graph is not None:
    current = deck(state["expr"], tuple(values.items()), state["local"], state["eps"],
                   not state["tree"], state["check_eps"])
    # Same picture with other numbers: stay on the step; another picture: start over.
    if st.session_state.get(f"{PAGE}:shape", current["shape"]) != current["shape"]:
        state["step"] = 0
    st.session_state[f"{PAGE}:shape"] = current["shape"]
    st.session_state[f"{PAGE}:last-good"] = (state["expr"], tuple(values.items()),
                                            state["local"], state["eps"], not state["tree"],
                                            state["check_eps"])
    last = len(current["frames"]) - 1
    state["step"] = min(state["step"], last) if clean else \
        past_the_end(PAGE, "step", state["step"], last)
    shown = current
else:
    last_good = st.session_state.get(f"{PAGE}:last-good")
    shown = deck(*last_good) if last_good is not None else None
    parse_error(error)
    if shown is not None and not clean:
        st.caption(f"Still showing the last function that worked: {plain(shown['title'])}")

player_key = f"{PAGE}:player"
if graph is not None and state["predict"] and not clean:
    # Predict, then check: the player waits just before the step asked about.
    trace = graph.trace(values, local=state["local"], eps=state["eps"])
    asked = questions(trace, "sends")
    state["q"] = min(max(state["q"], 1), len(asked) + 1)
    if state["q"] <= len(asked):
        question = asked[state["q"] - 1]
        st.markdown(f"**Predict {state['q']} of {len(asked)}** · score this session "
                    f"{score()['right']} / {score()['asked']}")
        record, advance = ask(trace, question, (state["expr"], tuple(values.items()),
                                                state["local"], not state["tree"], state["q"]),
                              page=PAGE, next_label="Next step to predict")
        if advance:
            state["q"] += 1
            st.rerun()
        state["step"] = question.k if record is not None else question.k - 1
        player_key = f"{PAGE}:player:{state['q']}:{record is not None}"
    elif asked:
        st.success(f"All {len(asked)} predictions on {plain(state['expr'])} done · score this "
                   f"session {score()['right']} / {score()['asked']}.", icon=":material/flag:")

# -- the link: everything but the step, which the player below keeps up to date -------------
settings: dict[str, object] = {"expr": state["expr"]}
if state["local"] != "symbolic":
    settings.update(mode=state["local"], eps=f"{state['eps']:g}")
if state["tree"]:
    settings["tree"] = "true"
if state["predict"]:
    settings.update(predict="true", q=state["q"])
for kept in ("present", "theme"):  # the view's own settings stay in the link
    if st.query_params.get(kept):
        settings[kept] = st.query_params.get(kept)
params = query(settings, values)
write_link(PAGE, {**settings, "step": state["step"]}, values)


@st.fragment
def stepper(deck_shown: dict, key: str, dimmed: bool) -> None:
    """The player, and the link to the function and point it shows.

    The player keeps its step in the URL itself, and its "Copy link" button copies the link
    with the step.
    """
    with st.container(key="player-dimmed" if dimmed else "player"):
        step = player(deck_shown, key=key, step=state["step"],
                      height=(640 if presenting() else 500) if clean else 660, theme=theme(),
                      present=presenting(), embed=clean, digest=deck_shown["digest"])
    if dimmed:
        return
    state["step"] = step
    if st.query_params.get("step") != str(step):
        st.query_params["step"] = str(step)
    if not clean:
        with st.expander("Link to this function, and the code to embed it in a slide",
                         icon=":material/link:"):
            base = st.context.url or "http://localhost:8501/"
            st.caption("Copy link (function and values; the player's Copy link button adds "
                       "the step it shows):")
            st.code(link(base, params), language=None, wrap_lines=True)
            st.caption("Embed in a slide (fits 960×540):")
            embed_url = link(base, {**params, "embed": "true"})
            st.code(f'<iframe src="{embed_url}" width="960" height="540" '
                    'style="border:0"></iframe>', language="html", wrap_lines=True)


if shown is not None:
    stepper(shown, player_key, graph is None)
    if presenting():
        presenter_switch()

if graph is not None and not clean and graph.variables:
    with st.expander("Plot f and f′ around the point", icon=":material/show_chart:"):
        along = graph.variables[0]
        if len(graph.variables) > 1:
            along = st.radio("Along", graph.variables, horizontal=True, key=f"{PAGE}:along",
                             help="The other variables stay at their values above.")
        try:
            st.plotly_chart(figure_of_function(state["expr"], not state["tree"], along,
                                               tuple(values.items())), key=f"{PAGE}:plot")
        except ValueError as err:  # the point itself is nan or inf
            st.info(f"No plot here: {plain(err)}")

if graph is not None and not clean:
    check, share = st.columns([3, 2])
    with check:
        st.subheader("Backpropagation beside central difference")
        check_eps = st.select_slider("eps for central difference on the whole function",
                                     EPS_CHOICES, value=state["check_eps"],
                                     key=f"{PAGE}:check_eps",
                                     format_func=lambda v: f"{v:.0e}")
        state["check_eps"] = check_eps
        exact = graph.gradient(values)
        numerical = graph.numerical_gradient(values, eps=check_eps)
        st.dataframe(
            {"variable": list(exact),
             "backpropagation": [exact[v] for v in exact],
             "central difference": [numerical[v] for v in exact],
             "|difference|": [abs(exact[v] - numerical[v]) for v in exact]},
            hide_index=True, column_config={
                "|difference|": st.column_config.NumberColumn(format="%.1e")})
    with share:
        st.subheader("Present and export")
        presenter_switch()
        st.caption("The link to this view, and the code to embed it, are under the player.")
        slides_button("trace", (state["expr"], tuple(values.items()), state["local"],
                                state["eps"], not state["tree"], state["check_eps"]))
