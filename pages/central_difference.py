"""Lesson: the central difference, f'(x) ≈ (f(x+eps) − f(x−eps)) / (2 eps), against the exact
derivative, and why eps can be too large and too small."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

import engine
from drawing.plots import (
    EPS_GRID,
    difference_error,
    difference_errors,
    function_and_derivative,
    power_text,
    secant_and_tangent,
)
from ui.difference import eps_text, errors_table, methods_table, one_variable, point_and_step
from ui.page import Latex, opening, write_link
from ui.widgets import (
    function_and_examples,
    latex_number,
    parse_error,
    plain,
    read_function,
)
from ui.work import variables_of

PAGE = "central-difference"
EXAMPLES: dict[str, dict[str, float]] = {
    e: {}
    for e in [
        "sin(x)",
        "x^2",
        "x^3 - 2x",
        "exp(x)",
        "log(x)",
        "sqrt(x)",
        "tanh(x)",
        "sigmoid(x)",
        "1/x",
    ]
}
DEFAULT = "sin(x)"
EPS_CHOICES = [10.0**-k for k in range(0, 13)]  # 1 … 1e-12: the slider's stops
# The error chart's ε: its fine grid and the slider's stops, so the table and the chart's best ε
# come from the same numbers.
GRID = np.unique(np.concatenate([EPS_GRID, EPS_CHOICES]))
LIMIT = 1e6  # the point's range, in the link as in the field


def read_link(link) -> dict:
    expr = link.text("expr", DEFAULT)
    variables = variables_of(expr)
    link.variables = frozenset(variables)
    name = variables[0] if len(variables) == 1 else "x"
    return {
        "expr": expr,
        "x": link.variable(name, 1.0, -LIMIT, LIMIT),
        "eps": link.stop("eps", 1e-4, EPS_CHOICES),
    }


state = opening(
    PAGE,
    read_link,
    "Central difference",
    "Estimate a derivative from two values of the function, one on each side of the point:",
    Latex(r"f'(x) \approx \frac{f(x + \varepsilon) - f(x - \varepsilon)}{2\varepsilon}"),
)

left, middle, right = st.columns([3, 2, 2], vertical_alignment="bottom")
function_and_examples(
    PAGE,
    state,
    EXAMPLES,
    (left, middle),
    label="Function f",
    help="A function of one variable, typed as on a blackboard: sin(x), x^3 - 2x, exp(x)/x.",
)
graph, error = read_function(state["expr"], one_variable)
name = graph.variables[0] if graph is not None and len(graph.variables) == 1 else "x"
point_and_step(PAGE, state, right, name, LIMIT, EPS_CHOICES)
write_link(PAGE, {"expr": state["expr"], "eps": eps_text(state["eps"])}, {name: state["x"]})

if error is not None:
    parse_error(error, "Cannot use this function")
    st.stop()

x, eps = state["x"], state["eps"]
point = {name: x}


def f(t: float) -> float:
    return graph.evaluate({name: t})


exact = graph.gradient(point)[name]  # reverse mode: exact up to rounding
central = float(engine.central_difference(f, x, eps))
forward = float(engine.forward_difference(f, x, eps))
f_plus, f_minus, f_x = f(x + eps), f(x - eps), f(x)

if not math.isfinite(f_x) or not math.isfinite(exact):
    st.warning(f"f or its derivative is undefined at {plain(name)} = {x:g}: pick another point.")

st.subheader(f"At {plain(name)} = {x:g} with ε = {power_text(eps)}")
st.latex(
    rf"\frac{{f({latex_number(x)} + \varepsilon) - f({latex_number(x)} - \varepsilon)}}"
    rf"{{2\varepsilon}} = \frac{{{latex_number(f_plus, 12)} - ({latex_number(f_minus, 12)})}}"
    rf"{{2 \cdot {latex_number(eps)}}} = {latex_number(central, 12)}"
)
methods_table(central, forward, exact)
st.caption(
    "The forward difference uses one side only, so its error falls only as ε; the "
    "central difference's two sides cancel the first error term, so it falls as ε²."
)

st.plotly_chart(secant_and_tangent(graph, name, point, eps), key=f"{PAGE}:secant")
errors = difference_errors(graph, name, point, eps_grid=GRID)  # once: chart, text and table
st.plotly_chart(difference_error(graph, name, point, eps, data=errors), key=f"{PAGE}:error")

st.subheader("Too large, too small")
best = errors["best_central"]
st.markdown(
    "A large ε measures the slope of a secant, not the tangent: the central difference's "
    "error falls as ε², the forward difference's only as ε. A tiny ε subtracts two nearly "
    "equal numbers, and the rounding of f (about 10⁻¹⁶ of its size) divided by ε grows. "
    "Between the two, the error is smallest: the bottom of the V."
    + (
        f" Here the central difference is best at ε ≈ {power_text(best)}."
        if best and errors["central_min"] > errors["floor"]
        else ""
    )
)
errors_table(errors, EPS_CHOICES)

st.subheader("f and f′ around the point")
try:
    st.plotly_chart(function_and_derivative(graph, name, point, eps=eps), key=f"{PAGE}:plot")
except ValueError as err:
    st.info(f"No plot here: {plain(err)}")
