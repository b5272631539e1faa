"""Practice: predict each backward step before it is revealed, then check.

Questions come from the trace's backward steps: what a box sends along each edge
(d_out · local derivative), or the d_out a node has when it fires. A right answer turns green;
a wrong one shows the right value and the arithmetic, from the engine's explanation.
"""

from __future__ import annotations

import streamlit as st

from ui.examples import examples
from ui.page import opening, past_the_end, write_link
from ui.predict import ASK, ask, questions, score
from ui.widgets import (
    function_and_examples,
    linked,
    plain,
    stepper,
    usable_function,
    variable_inputs,
)
from ui.work import deck, variables_of

PAGE = "practice"
EXAMPLES = examples("log(xy)+exp(xy)", "sin(x^2)", "(a+b)(b+1)", "sigmoid(w x + b)", "x*x")
DEFAULT = "log(xy)+exp(xy)"
LIMIT = 1e6  # each value's range, in the link as in the fields


def read_link(link) -> dict:
    expr = link.text("expr", DEFAULT)
    return {
        "expr": expr,
        "values": link.point(variables_of(expr), EXAMPLES.get(expr, {}), 1.0, -LIMIT, LIMIT),
        "ask": link.choice("ask", "sends", list(ASK)),
        "q": link.whole("q", 1, 1),
    }


def restart() -> None:
    state["q"] = 1


state = opening(
    PAGE,
    read_link,
    "Practice: predict the backward pass",
    "Before each backward step is shown, say what it will produce. The diagram shows "
    "everything known just before that step. Answers within 1 % (or 0.005 of zero) "
    "count as right.",
)
tally = score()

top = st.columns([3, 1.3, 2], vertical_alignment="bottom")
function_and_examples(PAGE, state, EXAMPLES, top, on_change=restart)
linked(
    PAGE,
    state,
    "ask",
    top[2].radio,
    "Predict",
    list(ASK),
    format_func=ASK.get,
    horizontal=True,
    on_change=restart,
)

graph = usable_function(PAGE, state)
values = variable_inputs(PAGE, state, graph.variables, limit=LIMIT, on_change=restart)
trace = graph.trace(values)
asked = questions(trace, state["ask"])

settings: dict[str, object] = {"expr": state["expr"], "ask": state["ask"]}

st.metric(
    "Score this session",
    f"{tally['right']} / {tally['asked']}",
    help="Right answers out of questions checked, over every function you practise.",
)

if not asked:
    st.info(
        "Nothing to predict here: this function has no backward step that sends "
        "anything. Try one with an operation of a variable, like sin(x^2)."
    )
    write_link(PAGE, settings, values)
    st.stop()

q = state["q"] = past_the_end(PAGE, "q", state["q"], len(asked) + 1)
write_link(PAGE, {**settings, "q": q}, values)
shown = deck(state["expr"], tuple(values.items()))

if q > len(asked):
    st.success(
        f"All {len(asked)} questions on {plain(state['expr'])} done.", icon=":material/flag:"
    )
    if st.button("Start over", icon=":material/restart_alt:"):
        state["q"] = 1
        st.rerun()
    state["step"] = len(shown["frames"]) - 1
    stepper(PAGE, state, shown, key="player:done", height=500, url=None)
    st.stop()

question = asked[q - 1]
st.subheader(f"Question {q} of {len(asked)}")
# One record per question of this function, point and kind: the score counts first tries.
record, advance = ask(
    trace, question, (state["expr"], tuple(values.items()), state["ask"], q), page=PAGE
)
if advance:
    state["q"] = q + 1
    st.rerun()

# The diagram just before the step asked about; once answered, the step itself. The player
# stops there: the steps after it would give away the answer.
state["step"] = question.k if record is not None else question.k - 1
stepper(
    PAGE,
    state,
    shown,
    key=f"player:{q}:{record is not None}",
    height=500,
    limit=state["step"],
    url=None,
)
