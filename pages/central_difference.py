"""Lesson: the central difference, f'(x) ≈ (f(x+eps) − f(x−eps)) / (2 eps), against the exact
derivative, and why eps can be too large and too small."""

from __future__ import annotations

import math

import streamlit as st

import engine
from drawing.plots import (difference_error, difference_errors, function_and_derivative,
                           secant_and_tangent)
from ui.page import show_link_problems, state_from_link
from ui.url import number_param
from ui.work import parse, variables_of

PAGE = "central-difference"
EXAMPLES = ["sin(x)", "x^2", "x^3 - 2x", "exp(x)", "log(x)", "sqrt(x)", "tanh(x)",
            "sigmoid(x)", "1/x"]
DEFAULT = "sin(x)"
EPS_CHOICES = [10.0 ** -k for k in range(0, 13)]  # 1 … 1e-12: the slider's stops
LIMIT = 1e6  # the point's range, in the link as in the field


def read_link(link) -> dict:
    expr = link.text("expr", DEFAULT)
    variables = variables_of(expr)
    name = variables[0] if len(variables) == 1 else "x"
    return {"expr": expr, "x": link.number(name, 1.0, -LIMIT, LIMIT),
            "eps": link.stop("eps", 1e-4, EPS_CHOICES)}


def eps_text(eps: float) -> str:
    return "1" if eps == 1 else f"1e-{round(-math.log10(eps))}"


def choose_example() -> None:
    expr = st.session_state[f"{PAGE}:example"]
    if expr:
        state["expr"] = st.session_state[f"{PAGE}:expr"] = expr
        st.session_state[f"{PAGE}:example"] = None


state = state_from_link(PAGE, read_link)

st.title("Central difference")
st.markdown("Estimate a derivative from two values of the function, one on each side of "
            "the point:")
st.latex(r"f'(x) \approx \frac{f(x + \varepsilon) - f(x - \varepsilon)}{2\varepsilon}")
show_link_problems(PAGE)

left, middle, right = st.columns([3, 2, 2], vertical_alignment="bottom")
st.session_state.setdefault(f"{PAGE}:expr", state["expr"])
state["expr"] = left.text_input("Function f", key=f"{PAGE}:expr", max_chars=engine.MAX_LENGTH,
                                help="A function of one variable, typed as on a blackboard: "
                                     "sin(x), x^3 - 2x, exp(x)/x.")
middle.selectbox("Examples", EXAMPLES, index=None, placeholder="Pick an example",
                 key=f"{PAGE}:example", on_change=choose_example)

try:
    graph = parse(state["expr"])
    error = None if len(graph.variables) == 1 else (
        f"this lesson needs a function of one variable; {state['expr']} has "
        f"{len(graph.variables) or 'no'} variable{'s' if len(graph.variables) != 1 else ''}"
        + (f" ({', '.join(graph.variables)})" if graph.variables else ""))
except engine.ParseError as err:
    graph, error = None, err

name = graph.variables[0] if graph is not None and len(graph.variables) == 1 else "x"
st.session_state.setdefault(f"{PAGE}:x", state["x"])
state["x"] = right.number_input(f"Point {name}", key=f"{PAGE}:x", step=0.1, format="%g",
                                min_value=-LIMIT, max_value=LIMIT)
st.session_state.setdefault(f"{PAGE}:eps", state["eps"])
state["eps"] = st.select_slider("Step ε (logarithmic: each stop is ten times smaller)",
                                EPS_CHOICES, key=f"{PAGE}:eps", format_func=eps_text)

params = {"expr": state["expr"], name: number_param(state["x"]), "eps": eps_text(state["eps"])}
st.query_params.from_dict(params)

if error is not None:
    st.error(f"**Cannot use this function:** {error}", icon=":material/error:")
    if isinstance(error, engine.ParseError):
        st.code(error.pointer(), language=None)
    st.stop()

x, eps = state["x"], state["eps"]
point = {name: x}


def f(t: float) -> float:
    return graph.evaluate({name: t})


exact = graph.gradient(point)[name]              # reverse mode: exact up to rounding
central = float(engine.central_difference(f, x, eps))
forward = float(engine.forward_difference(f, x, eps))
f_plus, f_minus, f_x = f(x + eps), f(x - eps), f(x)

if not math.isfinite(f_x) or not math.isfinite(exact):
    st.warning(f"f or its derivative is undefined at {name} = {x:g}: pick another point.")

st.subheader(f"At {name} = {x:g} with ε = {eps_text(eps)}")
st.latex(rf"\frac{{f({x:g} + \varepsilon) - f({x:g} - \varepsilon)}}{{2\varepsilon}} = "
         rf"\frac{{{f_plus:.12g} - ({f_minus:.12g})}}{{2 \cdot {eps:g}}} = {central:.12g}")
st.dataframe(
    {"method": ["central difference", "forward difference", "exact, by autodiff"],
     "formula": ["(f(x+ε) − f(x−ε)) / 2ε", "(f(x+ε) − f(x)) / ε", "backpropagation"],
     "f′(x)": [central, forward, exact],
     "|error|": [abs(central - exact), abs(forward - exact), 0.0]},
    hide_index=True, column_config={"f′(x)": st.column_config.NumberColumn(format="%.12g"),
                                    "|error|": st.column_config.NumberColumn(format="%.1e")})
st.caption("The forward difference uses one side only, so its error falls only as ε; the "
           "central difference's two sides cancel the first error term, so it falls as ε².")

st.plotly_chart(secant_and_tangent(graph, name, point, eps), key=f"{PAGE}:secant")
st.plotly_chart(difference_error(graph, name, point, eps), key=f"{PAGE}:error")

st.subheader("Too large, too small")
errors = difference_errors(graph, name, point, eps_grid=EPS_CHOICES)
best = errors["best_central"]
st.markdown(
    "A large ε measures the slope of a secant, not the tangent: the central difference's "
    "error falls as ε², the forward difference's only as ε. A tiny ε subtracts two nearly "
    "equal numbers, and the rounding of f (about 1e-16 of its size) divided by ε grows. "
    "Between the two, the error is smallest: the bottom of the V."
    + (f" Here the central difference is best at ε ≈ {eps_text(best)}." if best else ""))
st.dataframe({"ε": [eps_text(e) for e in EPS_CHOICES],
              "forward difference error": list(errors["forward"]),
              "central difference error": list(errors["central"])},
             hide_index=True, height=35 * (len(EPS_CHOICES) + 1) + 3, column_config={
                 "forward difference error": st.column_config.NumberColumn(format="%.1e"),
                 "central difference error": st.column_config.NumberColumn(format="%.1e")})

st.subheader("f and f′ around the point")
try:
    st.plotly_chart(function_and_derivative(graph, name, point, eps=eps), key=f"{PAGE}:plot")
except ValueError as err:
    st.info(f"No plot here: {err}")
