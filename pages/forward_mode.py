"""Lesson: forward mode (dual numbers) beside reverse mode on the same graph.

Forward mode carries, with every value, its derivative with respect to ONE input; reverse mode
sends d_out back from the output and finds the derivative with respect to EVERY input. Colah's
example, e = (a+b)(b+1) at a = 2, b = 1, gives de/db = 5 both ways.
"""

from __future__ import annotations

import streamlit as st

import engine
from ui.examples import examples
from ui.forward import every_partial, one_partial, wrt_input
from ui.page import opening, write_link
from ui.widgets import (
    function_and_examples,
    input_row,
    plain,
    stepper,
    usable_function,
    variable_inputs,
)
from ui.work import deck, tangent_deck, variables_of

PAGE = "forward-mode"
EXAMPLES = examples("(a+b)(b+1)", "log(xy)+exp(xy)", "sin(x^2)", "sigmoid(w x + b)")
DEFAULT = "(a+b)(b+1)"
LIMIT = 1e6  # each value's range, in the link as in the fields


def read_link(link) -> dict:
    expr = link.text("expr", DEFAULT)
    variables = variables_of(expr)
    values = link.point(variables, EXAMPLES.get(expr, {}), 1.0, -LIMIT, LIMIT)
    wrt_default = "b" if "b" in variables else (variables[0] if variables else "x")
    wrt = link.text("wrt", wrt_default).strip()
    if variables and wrt not in variables:
        link.problems.append(
            f"The link's wrt={wrt[:40]!r} is not a variable of {expr}; "
            f"{wrt_default} is used instead."
        )
        wrt = wrt_default
    return {
        "expr": expr,
        "values": values,
        "wrt": wrt,
        "step": link.whole("step", 0),
        "rstep": link.whole("rstep", 0),
    }


state = opening(
    PAGE,
    read_link,
    "Forward mode",
    "Forward mode runs **with** the forward pass: every node carries its value and its "
    "derivative with respect to **one** chosen input, its *tangent* (a dual number "
    "a + ȧε). Start with tangent 1 on that input and 0 on the others; each operation "
    "multiplies its inputs' tangents by its local derivatives and adds them up.",
)

function_and_examples(PAGE, state, EXAMPLES, st.columns([3, 1], vertical_alignment="bottom"))
graph = usable_function(
    PAGE,
    state,
    lambda g: None if g.variables else "the function has no variable to differentiate by",
    "Cannot use this function",
)

row = input_row(f"{PAGE}-values")
variable_inputs(PAGE, state, graph.variables, row, LIMIT)
wrt = wrt_input(PAGE, state, row, graph.variables)
values = {name: state["values"].get(name, 1.0) for name in graph.variables}

by_forward = engine.forward_mode(graph, values, wrt=wrt)
by_reverse = graph.gradient(values)
inputs, outputs = len(graph.variables), 1

one_partial(wrt, by_forward.derivative, by_reverse[wrt])

st.subheader(f"Forward mode, tangents with respect to {plain(wrt)}")
stepper(
    PAGE, state, tangent_deck(state["expr"], tuple(values.items()), wrt), key="forward", height=440
)

st.subheader("Reverse mode, the same graph")
stepper(
    PAGE,
    state,
    deck(state["expr"], tuple(values.items())),
    key="reverse",
    field="rstep",
    height=440,
    main=False,
)

st.subheader("Which mode is cheaper?")
all_forward = engine.forward_mode_gradient(graph, values)
st.markdown(
    f"This function has **{inputs} input{'s' if inputs != 1 else ''}** and **{outputs} "
    f"output**. Forward mode finds the derivatives with respect to one input per pass, so the "
    f"whole gradient takes **{inputs} forward-mode pass{'es' if inputs != 1 else ''}**. "
    f"Reverse mode finds the derivatives of one output with respect to every input in one "
    f"backward pass, so it takes **{outputs} forward pass and {outputs} backward pass**.\n\n"
    "- Few inputs, many outputs (a curve in space, f: ℝ → ℝⁿ): forward mode is cheaper.\n"
    "- Many inputs, one output (a loss of a million weights): reverse mode, that is "
    "backpropagation, is cheaper. That is why neural networks are trained with it."
)
every_partial(graph.variables, all_forward, by_reverse)

write_link(
    PAGE,
    {"expr": state["expr"], "wrt": wrt, "step": state["step"], "rstep": state["rstep"]},
    values,
    steps=("step", "rstep"),
)
