"""Lesson: the chain rule as two boxes, each with a forward and a backward, composed.

The course's boxes: `square` (forward x², backward 2x · d_out, by its formula) and `sine`
(forward sin x, backward by central difference). sin(x²) at x = 3 is 0.4121; backward starts
with d_out = 1, sine sends cos(9) = −0.9111, square multiplies by 2x = 6: −5.4668.
"""

from __future__ import annotations

import streamlit as st

from drawing.plots import function_and_derivative
from engine.boxes import MODES as BOX_MODES
from engine.boxes import box_names, box_text
from ui.chain import box_inputs, show_box, signed
from ui.page import opening, write_link
from ui.widgets import plain, stepper
from ui.work import chain_deck, parse

PAGE = "chain-rule"
# The boxes a student can choose: square (x^2, the power op with exponent 2) and every
# one-argument op of the table.
BOXES = box_names(1)
MODES = list(BOX_MODES)
EPS_CHOICES = [10.0**-k for k in range(1, 13)]
LIMIT = 1e6  # x's range, in the link as in the field


def read_link(link) -> dict:
    link.variables = frozenset("x")
    return {
        "x": link.variable("x", 3.0, -LIMIT, LIMIT),
        "inner": link.choice("inner", "square", BOXES),
        "outer": link.choice("outer", "sin", BOXES),
        "inner_mode": link.choice("inner_mode", "symbolic", MODES),
        "outer_mode": link.choice("outer_mode", "numerical", MODES),
        "eps": link.stop("eps", 1e-4, EPS_CHOICES),
        "step": link.whole("step", 0),
    }


state = opening(
    PAGE,
    read_link,
    "Chain rule",
    "Each operation is a box with a **forward** (its value) and a **backward** (what "
    "it sends back: the d_out it received times its own local derivative). "
    "Composing two boxes composes their backwards: that is the chain rule.",
)
box_inputs(PAGE, state, BOXES, MODES, EPS_CHOICES, LIMIT)

text = box_text(state["outer"], box_text(state["inner"], "x"))
graph = parse(text)
outer_id = graph.output
inner_id = graph.nodes[outer_id].args[0]
modes = ((inner_id, state["inner_mode"]), (outer_id, state["outer_mode"]))
x, eps = state["x"], state["eps"]
trace = graph.trace({"x": x}, local=dict(modes), eps=eps)

st.markdown(f"**f(x) = {state['outer']}({state['inner']}(x)) = `{text}`** at x = {x:g}")
metrics = st.columns(3)
metrics[0].metric("Forward: f(x)", signed(trace.value))
metrics[1].metric("Backward: df/dx", signed(trace.gradient["x"]))
metrics[2].metric(
    "Exact, for comparison",
    signed(graph.gradient(x=x)["x"]),
    help="Both boxes symbolic: the chain rule with exact local derivatives.",
)
st.latex(
    r"\frac{df}{dx} = \underbrace{\mathrm{outer}'(\mathrm{inner}(x))}_{\text{outer's "
    r"backward, } d_{\mathrm{out}} = 1} \cdot \underbrace{\mathrm{inner}'(x)}_{\text{"
    r"inner's backward}}"
)

# Each box: its code beside its numbers, in the order the backward pass visits them.
show_box(state, trace, "outer", outer_id)
show_box(state, trace, "inner", inner_id)

st.subheader("Step through it")
stepper(PAGE, state, chain_deck(text, x, modes, eps))
write_link(
    PAGE,
    {
        "inner": state["inner"],
        "outer": state["outer"],
        "inner_mode": state["inner_mode"],
        "outer_mode": state["outer_mode"],
        "step": state["step"],
        "eps": f"{eps:g}" if "numerical" in (state["inner_mode"], state["outer_mode"]) else None,
    },
    {"x": x},
)

st.subheader("f and f′ around the point")
try:
    st.plotly_chart(function_and_derivative(graph, "x", {"x": x}), key=f"{PAGE}:plot")
except ValueError as err:
    st.info(f"No plot here: {plain(err)}")
