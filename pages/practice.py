"""Practice: predict each backward step before it is revealed, then check.

Questions come from the trace's backward steps: what a box sends along each edge
(d_out · local derivative), or the d_out a node has when it fires. A right answer turns green;
a wrong one shows the right value and the arithmetic, from the engine's explanation.
"""

from __future__ import annotations

import streamlit as st

import engine
from ui.page import (example_chooser, past_the_end, show_link_problems, state_from_link,
                     theme)
from ui.player import player
from ui.predict import ASK, ask, questions, score
from ui.url import number_param
from ui.work import deck, parse, variables_of

PAGE = "practice"
EXAMPLES: dict[str, dict[str, float]] = {
    "log(xy)+exp(xy)": {"x": 1.0, "y": 2.0},
    "sin(x^2)": {"x": 3.0},
    "(a+b)(b+1)": {"a": 2.0, "b": 1.0},
    "sigmoid(w x + b)": {"w": 2.0, "x": -1.0, "b": 0.5},
    "x*x": {"x": 3.0},
}
DEFAULT = "log(xy)+exp(xy)"
LIMIT = 1e6  # each value's range, in the link as in the fields


def read_link(link) -> dict:
    expr = link.text("expr", DEFAULT)
    variables = variables_of(expr)
    defaults = EXAMPLES.get(expr, {})
    return {"expr": expr,
            "values": {name: link.number(name, defaults.get(name, 1.0), -LIMIT, LIMIT)
                       for name in variables},
            "ask": link.choice("ask", "sends", list(ASK)), "q": link.whole("q", 1, 1)}


def restart() -> None:
    state["q"] = 1


state = state_from_link(PAGE, read_link)
tally = score()

st.title("Practice: predict the backward pass")
st.markdown("Before each backward step is shown, say what it will produce. The diagram shows "
            "everything known just before that step. Answers within 1 % (or 0.005 of zero) "
            "count as right.")
show_link_problems(PAGE)

top = st.columns([3, 1.3, 2], vertical_alignment="bottom")
st.session_state.setdefault(f"{PAGE}:expr", state["expr"])
state["expr"] = top[0].text_input("Function", key=f"{PAGE}:expr", max_chars=engine.MAX_LENGTH,
                                  on_change=restart)
top[1].selectbox("Examples", list(EXAMPLES), index=None, placeholder="Pick an example",
                 key=f"{PAGE}:example",
                 on_change=example_chooser(PAGE, state, EXAMPLES, then=restart))
st.session_state.setdefault(f"{PAGE}:ask", state["ask"])
state["ask"] = top[2].radio("Predict", list(ASK), format_func=ASK.get, key=f"{PAGE}:ask",
                            horizontal=True, on_change=restart)

try:
    graph = parse(state["expr"])
    error = None
except engine.ParseError as err:
    graph, error = None, err
if graph is None:
    st.error(f"**Cannot read this function:** {error}", icon=":material/error:")
    st.code(error.pointer(), language=None)
    st.query_params.from_dict({"expr": state["expr"]})
    st.stop()

if graph.variables:
    columns = st.columns(max(len(graph.variables), 4))
    for column, name in zip(columns, graph.variables):
        key = f"{PAGE}:value:{name}"
        st.session_state.setdefault(key, state["values"].get(name, 1.0))
        state["values"][name] = column.number_input(name, key=key, step=0.1, format="%g",
                                                    min_value=-LIMIT, max_value=LIMIT,
                                                    on_change=restart)
values = {name: state["values"].get(name, 1.0) for name in graph.variables}
trace = graph.trace(values)
asked = questions(trace, state["ask"])

params = {"expr": state["expr"], **{k: number_param(v) for k, v in values.items()},
          "ask": state["ask"]}

st.metric("Score this session", f"{tally['right']} / {tally['asked']}",
          help="Right answers out of questions checked, over every function you practise.")

if not asked:
    st.info("Nothing to predict here: this function has no backward step that sends "
            "anything. Try one with an operation of a variable, like sin(x^2).")
    st.query_params.from_dict(params)
    st.stop()

q = state["q"] = past_the_end(PAGE, "q", state["q"], len(asked) + 1)
params["q"] = q
st.query_params.from_dict({k: str(v) for k, v in params.items()})

if q > len(asked):
    st.success(f"All {len(asked)} questions on {state['expr']} done.", icon=":material/flag:")
    if st.button("Start over", icon=":material/restart_alt:"):
        state["q"] = 1
        st.rerun()
    shown = deck(state["expr"], tuple(values.items()))
    player(shown, key=f"{PAGE}:player:done", step=len(shown["frames"]) - 1, height=500,
           theme=theme())
    st.stop()

question = asked[q - 1]
st.subheader(f"Question {q} of {len(asked)}")
# One record per question of this function, point and kind: the score counts first tries.
record, advance = ask(trace, question, (state["expr"], tuple(values.items()), state["ask"], q),
                      page=PAGE)
if advance:
    state["q"] = q + 1
    st.rerun()

# The diagram just before the step asked about; once answered, the step itself.
shown = deck(state["expr"], tuple(values.items()))
step = question.k if record is not None else question.k - 1
player(shown, key=f"{PAGE}:player:{q}:{record is not None}", step=step, height=500,
       theme=theme())
