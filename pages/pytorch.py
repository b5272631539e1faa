"""Lesson: the same boxes in PyTorch. The code that builds the typed function's graph, the name
autograd gives each box, and, where PyTorch is installed, its .grad beside the engine's."""

from __future__ import annotations

import streamlit as st

import engine
from ui.examples import examples
from ui.page import clean_view, opening
from ui.pytorch import (
    at_kinks,
    beside_the_engine,
    built,
    torch_deck,
    torch_player,
    what_pytorch_keeps,
)
from ui.widgets import function_and_examples, parse_error, variable_inputs
from ui.work import parse, variables_of

PAGE = "pytorch"
DEFAULT = "log(xy)+exp(xy)"
EXAMPLES = examples(
    DEFAULT,
    "(sigmoid(2w + b) - 1)^2 + (sigmoid(-w + b))^2",
    "x^2 + x^y - 1/x",
    "relu(x) + abs(y) + sqrt(x^2 + y^2)",
)
LIMIT = 1e6


def read_link(link) -> dict:
    expr = link.text("expr", DEFAULT)
    values = link.point(variables_of(expr), EXAMPLES.get(expr, {}), 1.0, -LIMIT, LIMIT)
    return {"expr": expr, "values": values, "step": link.whole("step", 0)}


clean = clean_view()
state = opening(
    PAGE,
    read_link,
    "The same boxes in PyTorch",
    "PyTorch builds the same graph as the boxes here, one node per operation, as "
    "the code runs; `h.backward()` is the backward pass. Type a function and a "
    "point to see the code, and the name PyTorch gives each box.",
    shown=not clean,
)
if not clean:
    columns = st.columns([3, 2], vertical_alignment="bottom")
    function_and_examples(PAGE, state, EXAMPLES, columns, label="Function h")
try:
    graph = parse(state["expr"])
except engine.ParseError as err:
    parse_error(err, "Cannot use this function")
    st.stop()

if not clean and graph.variables:
    variable_inputs(PAGE, state, graph.variables, limit=LIMIT)
values = tuple((n, float(state["values"].get(n, 1.0))) for n in graph.variables)
made = built(state["expr"], values)
torch_player(PAGE, state, torch_deck(state["expr"], values), values, clean)
if clean:
    st.stop()
st.caption(
    "Under each box: the node PyTorch's autograd records for it. A variable is a leaf "
    "tensor with requires_grad=True; its node, AccumulateGrad, adds up whatever "
    "gradient arrives into .grad."
)

code, explain = st.columns([1, 1])
with code:
    st.subheader("The code")
    st.code(made.code, language="python")
    st.caption(
        "Copy it into Python with PyTorch installed: it builds this graph and prints the gradient."
    )
with explain:
    st.subheader("What PyTorch keeps")
    what_pytorch_keeps(made)
at_kinks(graph, values)

st.subheader("PyTorch's .grad beside the engine's")
beside_the_engine(made, state["expr"], values)
