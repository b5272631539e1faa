"""Lesson: the chain rule as two boxes, each with a forward and a backward, composed.

The course's boxes: `square` (forward x², backward 2x · d_out, by its formula) and `sine`
(forward sin x, backward by central difference). sin(x²) at x = 3 is 0.4121; backward starts
with d_out = 1, sine sends cos(9) = −0.9111, square multiplies by 2x = 6: −5.4668.
"""

from __future__ import annotations

import html
import math
import re

import streamlit as st

from drawing.plots import function_and_derivative
from engine.boxes import MODES as BOX_MODES
from engine.boxes import box_code, box_names, box_text
from engine.explain import Explanation, explain
from ui.page import show_link_problems, state_from_link, write_link
from ui.widgets import linked, plain, stepper
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


# -- showing explanations from the engine -------------------------------------------------------


def markdown(explanation: Explanation, title: bool = False) -> str:
    """Words as escaped text, math as $LaTeX$ for Streamlit's markdown."""

    def words(text: str) -> str:
        return re.sub(r"([\\`*_{}\[\]<>#|$~])", r"\\\1", html.unescape(text))

    lines = [
        "".join(f"${s.latex}$" if s.latex is not None else words(s.text) for s in line)
        for line in explanation.lines
    ]
    if explanation.warning:
        lines.append(f"⚠ {words(explanation.warning)}")
    head = [f"**{words(explanation.title)}**"] if title else []
    return "\n\n".join(head + lines)


def signed(v: float, digits: int = 4) -> str:
    """Four decimals, as the course prints them, with a true minus sign."""
    return f"{v:.{digits}f}".replace("-", "−") if math.isfinite(v) else str(v)


# -- the page -----------------------------------------------------------------------------------

state = state_from_link(PAGE, read_link)

st.title("Chain rule")
st.markdown(
    "Each operation is a box with a **forward** (its value) and a **backward** (what "
    "it sends back: the d_out it received times its own local derivative). "
    "Composing two boxes composes their backwards: that is the chain rule."
)
show_link_problems(PAGE)

columns = st.columns([1.2, 1.3, 1.3, 1.3, 1.3], vertical_alignment="bottom")
linked(
    PAGE,
    state,
    "x",
    columns[0].number_input,
    "x",
    step=0.1,
    format="%g",
    min_value=-LIMIT,
    max_value=LIMIT,
)
for column, role, label in [
    (1, "inner", "Inner box (applied first)"),
    (3, "outer", "Outer box (applied second)"),
]:
    linked(PAGE, state, role, columns[column].selectbox, label, BOXES)
    linked(
        PAGE,
        state,
        f"{role}_mode",
        columns[column + 1].segmented_control,
        f"{role.capitalize()} backward",
        MODES,
        help="Symbolic: the derivative formula. Numerical: central difference on the "
        "box's forward.",
    )
numerical = "numerical" in (state["inner_mode"], state["outer_mode"])
if numerical:
    linked(
        PAGE,
        state,
        "eps",
        st.select_slider,
        "ε for the numerical backward",
        EPS_CHOICES,
        format_func=lambda v: f"{v:.0e}",
    )

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
steps = {(s.phase, s.node): k for k, s in enumerate(trace.steps, 1)}
for role, node in [("outer", outer_id), ("inner", inner_id)]:
    box, mode = state[role], state[f"{role}_mode"]
    st.subheader(f"{role.capitalize()} box: {box} ({mode} backward)")
    code, numbers = st.columns([1, 1])
    code.code(box_code(box, mode, eps), language="python")
    with numbers:
        st.markdown(markdown(explain(trace, steps[("forward", node)]), title=True))
        if ("backward", node) in steps:
            backward = trace.steps[steps[("backward", node)] - 1]
            st.markdown(markdown(explain(trace, steps[("backward", node)]), title=True))
            # The box's part of the chain, in the course's four decimals.
            send = next(s for s in backward.sends if s.to == graph.nodes[node].args[0])
            st.info(
                f"**{box}** receives d_out = {signed(backward.d_out)}, multiplies by its "
                f"local derivative {signed(send.local)} and sends back "
                f"{signed(send.contribution)}.",
                icon=":material/arrow_back:",
            )

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
        "eps": f"{eps:g}" if numerical else None,
    },
    {"x": x},
)

st.subheader("f and f′ around the point")
try:
    st.plotly_chart(function_and_derivative(graph, "x", {"x": x}), key=f"{PAGE}:plot")
except ValueError as err:
    st.info(f"No plot here: {plain(err)}")
