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
from ui.page import show_link_problems, state_from_link, write_link
from ui.widgets import (
    examples_box,
    function_input,
    latex_number,
    linked,
    parse_error,
    plain,
    reading,
)
from ui.work import parse, variables_of

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


def eps_text(eps: float) -> str:
    return "1" if eps == 1 else f"1e-{round(-math.log10(eps))}"


state = state_from_link(PAGE, read_link)

st.title("Central difference")
st.markdown("Estimate a derivative from two values of the function, one on each side of the point:")
st.latex(r"f'(x) \approx \frac{f(x + \varepsilon) - f(x - \varepsilon)}{2\varepsilon}")
show_link_problems(PAGE)

left, middle, right = st.columns([3, 2, 2], vertical_alignment="bottom")
function_input(
    PAGE,
    state,
    left,
    label="Function f",
    help="A function of one variable, typed as on a blackboard: sin(x), x^3 - 2x, exp(x)/x.",
)
examples_box(PAGE, state, EXAMPLES, middle)

try:
    graph = parse(state["expr"])
    count = len(graph.variables)
    error = (
        None
        if count == 1
        else (
            f"this lesson needs a function of one variable; {state['expr']} has "
            f"{count or 'no'} variable{'s' if count != 1 else ''}"
            + (f" ({', '.join(graph.variables)})" if graph.variables else "")
        )
    )
except engine.ParseError as err:
    graph, error = None, err
if graph is not None:
    reading(graph)

name = graph.variables[0] if graph is not None and len(graph.variables) == 1 else "x"
linked(
    PAGE,
    state,
    "x",
    right.number_input,
    f"Point {plain(name)}",
    step=0.1,
    format="%g",
    min_value=-LIMIT,
    max_value=LIMIT,
)
linked(
    PAGE,
    state,
    "eps",
    st.select_slider,
    "Step ε (logarithmic: each stop is ten times smaller)",
    EPS_CHOICES,
    format_func=eps_text,
)
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
st.dataframe(
    {
        "method": ["central difference", "forward difference", "exact, by autodiff"],
        "formula": ["(f(x+ε) − f(x−ε)) / 2ε", "(f(x+ε) − f(x)) / ε", "backpropagation"],
        "f′(x)": [central, forward, exact],
        "|error|": [abs(central - exact), abs(forward - exact), 0.0],
    },
    hide_index=True,
    column_config={
        "f′(x)": st.column_config.NumberColumn(format="%.12g"),
        "|error|": st.column_config.NumberColumn(format="%.1e"),
    },
)
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
rows = [list(errors["eps"]).index(e) for e in EPS_CHOICES]
st.dataframe(
    {
        "ε": [power_text(e) for e in EPS_CHOICES],
        "forward difference error": [errors["forward"][k] for k in rows],
        "central difference error": [errors["central"][k] for k in rows],
    },
    hide_index=True,
    height=35 * (len(EPS_CHOICES) + 1) + 3,
    column_config={
        "forward difference error": st.column_config.NumberColumn(format="%.1e"),
        "central difference error": st.column_config.NumberColumn(format="%.1e"),
    },
)

st.subheader("f and f′ around the point")
try:
    st.plotly_chart(function_and_derivative(graph, name, point, eps=eps), key=f"{PAGE}:plot")
except ValueError as err:
    st.info(f"No plot here: {plain(err)}")
