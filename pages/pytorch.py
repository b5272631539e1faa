"""Lesson: the same boxes in PyTorch. The code that builds the typed function's graph, the name
autograd gives each box, and, where PyTorch is installed, its .grad beside the engine's."""

from __future__ import annotations

import streamlit as st

import engine
from engine.pytorch import non_differentiable_points
from ui import torch_run
from ui.page import (
    clean_view,
    example_chooser,
    past_the_end,
    presenter_switch,
    presenting,
    show_link_problems,
    state_from_link,
    theme,
)
from ui.player import player
from ui.pytorch import (
    built,
    comparison_rows,
    structure_rows,
    torch_deck,
    torch_result,
)
from ui.url import number_param
from ui.widgets import variable_inputs
from ui.work import parse, variables_of

PAGE = "pytorch"
DEFAULT = "log(xy)+exp(xy)"
EXAMPLES = {
    DEFAULT: {"x": 1.0, "y": 2.0},
    "(sigmoid(2w + b) - 1)^2 + (sigmoid(-w + b))^2": {"w": 0.5, "b": 0.0},
    "x^2 + x^y - 1/x": {"x": 1.5, "y": 2.0},
    "relu(x) + abs(y) + sqrt(x^2 + y^2)": {"x": 0.0, "y": 0.0},
}
LIMIT = 1e6


def read_link(link) -> dict:
    expr = link.text("expr", DEFAULT)
    values = {
        v: link.number(v, EXAMPLES.get(expr, {}).get(v, 1.0), -LIMIT, LIMIT)
        for v in variables_of(expr)
    }
    return {"expr": expr, "values": values, "step": link.whole("step", 0)}


state = state_from_link(PAGE, read_link)
clean = clean_view()
if not clean:
    st.title("The same boxes in PyTorch")
    st.markdown(
        "PyTorch builds the same graph as the boxes here, one node per operation, as "
        "the code runs; `h.backward()` is the backward pass. Type a function and a "
        "point to see the code, and the name PyTorch gives each box."
    )
    show_link_problems(PAGE)
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    st.session_state.setdefault(f"{PAGE}:expr", state["expr"])
    state["expr"] = left.text_input("Function h", key=f"{PAGE}:expr", max_chars=engine.MAX_LENGTH)
    right.selectbox(
        "Examples",
        list(EXAMPLES),
        index=None,
        placeholder="Pick an example",
        key=f"{PAGE}:example",
        on_change=example_chooser(PAGE, state, EXAMPLES),
    )
try:
    graph = parse(state["expr"])
except engine.ParseError as err:
    st.error(f"**Cannot use this function:** {err}", icon=":material/error:")
    st.code(err.pointer(), language=None)
    st.stop()

if not clean and graph.variables:
    variable_inputs(PAGE, state, graph.variables, limit=LIMIT)
values = tuple((n, float(state["values"].get(n, 1.0))) for n in graph.variables)
made = built(state["expr"], values)
shown = torch_deck(state["expr"], values)
state["step"] = past_the_end(PAGE, "step", state["step"], len(shown["frames"]) - 1)
state["step"] = player(
    shown,
    key=f"{PAGE}:player",
    step=state["step"],
    height=460 if clean else 560,
    theme=theme(),
    present=presenting(),
    embed=clean,
)
st.query_params.from_dict(
    {
        "expr": state["expr"],
        "step": str(state["step"]),
        **{n: number_param(v) for n, v in values},
        **{k: st.query_params[k] for k in ("present", "theme", "embed") if k in st.query_params},
    }
)
if presenting():
    presenter_switch()
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
    out = made.output
    if made.grad_fn(graph.output) and graph.nodes[graph.output].kind == "operation":
        inputs = ", ".join(
            f"({'None' if a is None else '<' + made.grad_fn(a) + '>'}, 0)"
            for a in made.next_functions(graph.output)
        )
        st.markdown(
            f"- `{out}.grad_fn` is `<{made.grad_fn(graph.output)}>`: the box that made "
            f"{out}, the last one in topological order.\n"
            f"- `{out}.grad_fn.next_functions` is `({inputs})`: the nodes of its "
            "inputs, where its `backward(d_out)` sends each input's share. Following "
            "them from node to node walks the whole graph back to the leaves.\n"
            f"- `{out}.backward()` starts with d_out = 1 at {out} and calls each node's "
            "backward in topological order, output first, as the Backward phase of the "
            "player does. A node with two users waits for both and adds what they send "
            "(fan-out).\n"
            "- `.grad` is kept only at the leaves (variables): each AccumulateGrad adds "
            "what arrives, so calling backward twice adds twice (hence "
            "`optimizer.zero_grad()`)."
        )
    else:
        st.markdown(
            f"`{out}` is a variable or a constant here: there is no operation, so "
            f"`{out}.grad_fn` is None."
        )
    st.dataframe(structure_rows(made), hide_index=True)

for point in non_differentiable_points(graph, dict(values)):
    st.info(
        f"**{point.op} at {point.at} (node v{point.node + 1}).** {point.why}; {point.uses}. "
        f"There PyTorch returns {point.returns}, and so does the engine's table.",
        icon=":material/info:",
    )

st.subheader("PyTorch's .grad beside the engine's")
version = torch_run.available()
if version is None:
    st.info(
        "PyTorch is not installed here, so the code is not run. Everything else on this "
        "page works without it. To run it: `pip install -r requirements-torch.txt` "
        "(the CPU build: `pip install torch==2.13.0 --index-url "
        "https://download.pytorch.org/whl/cpu`).",
        icon=":material/download:",
    )
elif graph.variables:
    result = torch_result(state["expr"], values)
    st.dataframe(
        comparison_rows(made, graph.gradient(dict(values)), result.grads),
        hide_index=True,
        column_config={"|difference|": st.column_config.NumberColumn(format="%.1e")},
    )
    same = all(result.grad_fns[line.node] == line.grad_fn for line in made.lines)
    st.caption(
        f"PyTorch {result.version}, run here on the same graph, built tensor by tensor. "
        + (
            "Its grad_fn names are the ones under the boxes."
            if same
            else "Its grad_fn names differ from the ones under the boxes here."
        )
    )
