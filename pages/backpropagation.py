"""Lesson: backpropagation on h(x, y) = log(xy) + exp(xy), beside the partials derived by hand.

The hand-derived partials are typed formulas too: the engine parses and evaluates them, so the
page compares two results of the engine and computes neither itself.
"""

from __future__ import annotations

import math

import streamlit as st

from drawing.plots import surface_with_gradient
from ui.page import Latex, opening, write_link
from ui.widgets import plain, stepper, variable_inputs
from ui.work import deck, parse

PAGE = "backpropagation"
FUNCTION = "log(xy)+exp(xy)"
# By hand: ∂/∂x log(xy) = y/(xy) = 1/x and ∂/∂x exp(xy) = y e^(xy); likewise for y.
BY_HAND = {
    "x": ("1/x + y e^(xy)", r"\frac{1}{x} + y\,e^{xy}"),
    "y": ("1/y + x e^(xy)", r"\frac{1}{y} + x\,e^{xy}"),
}


def read_link(link) -> dict:
    link.variables = frozenset(("x", "y"))
    return {
        "values": {
            "x": link.variable("x", 1.0, -100.0, 100.0),
            "y": link.variable("y", 2.0, -100.0, 100.0),
        },
        "step": link.whole("step", 0),
    }


state = opening(
    PAGE,
    read_link,
    "Backpropagation",
    "Backpropagation finds every partial derivative of a function in one backward "
    "pass. Here it runs on",
    Latex(r"h(x, y) = \log(xy) + e^{xy}"),
    "Step through it below, and compare what it finds with the partial derivatives "
    "worked out by hand.",
)

values = variable_inputs(PAGE, state, ("x", "y"), limit=100.0)

graph = parse(FUNCTION)
if not math.isfinite(graph.evaluate(values)):
    st.warning(
        "log(xy) needs xy > 0: at this point h is undefined, and so is its gradient. "
        "Pick x and y with the same sign."
    )

stepper(PAGE, state, deck(FUNCTION, tuple(values.items())))
write_link(PAGE, {"step": state["step"]}, values)

st.subheader("By hand and by backpropagation")
by_backprop = graph.gradient(values)
rows = {
    "partial": [],
    "derived by hand": [],
    "formula's value": [],
    "backpropagation": [],
    "|difference|": [],
}
for name, (formula, _latex) in BY_HAND.items():
    by_hand = parse(formula).evaluate(values)  # the engine evaluates the typed formula
    rows["partial"].append(f"∂h/∂{name}")
    rows["derived by hand"].append(formula)
    rows["formula's value"].append(by_hand)
    rows["backpropagation"].append(by_backprop[name])
    rows["|difference|"].append(abs(by_hand - by_backprop[name]))
left, right = st.columns([2, 3])
with left:
    for name, (_formula, latex) in BY_HAND.items():
        st.latex(rf"\frac{{\partial h}}{{\partial {name}}} = {latex}")
    st.caption(
        "The chain rule by hand: the derivative of log(xy) along x is y/(xy) = 1/x, "
        "that of e^(xy) is y e^(xy). Backpropagation adds the same two paths where "
        "they meet, at the product xy, which fans out to log and exp."
    )
right.dataframe(
    rows,
    hide_index=True,
    column_config={
        "formula's value": st.column_config.NumberColumn(format="%.10g"),
        "backpropagation": st.column_config.NumberColumn(format="%.10g"),
        "|difference|": st.column_config.NumberColumn(format="%.1e"),
    },
)

st.subheader("The gradient on the map of h")
st.caption(
    "Contour lines of h around the point. The gradient, from backpropagation, points "
    "where h climbs fastest, across the contour line through the point."
)
try:
    st.plotly_chart(
        surface_with_gradient(graph, values, x_var="x", y_var="y"), key=f"{PAGE}:surface"
    )
except ValueError as err:
    st.info(f"No map here: {plain(err)}")
