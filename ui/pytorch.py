"""The PyTorch lesson's shared parts: the deck with autograd's name under each box, the code,
and PyTorch's own run of the same graph where it is installed (cached: importing PyTorch and
building the graph cost far more than the engine's pass)."""

from __future__ import annotations

import streamlit as st

from drawing import deck_data
from engine import Graph
from engine.explain import node_name
from engine.pytorch import Program, non_differentiable_points, program
from ui import torch_run
from ui.page import past_the_end, presenter_switch, presenting, theme, view_params
from ui.player import player
from ui.url import number_param
from ui.work import CACHE, Values, parse


def built(expr: str, values: tuple[tuple[str, float], ...]) -> Program:
    return program(parse(expr), dict(values))


def box_notes(made: Program) -> dict[int, str]:
    """Each box's autograd node, as PyTorch names it; what a box without one is instead."""
    notes = {}
    for node in made.graph.nodes:
        name = made.grad_fn(node.id)
        if node.kind == "constant":
            name = "a number: no node"
        elif not name:
            name = "no grad_fn: constant"
        notes[node.id] = name
    return notes


@st.cache_data(max_entries=64, ttl=CACHE["ttl"], show_spinner=False)
def torch_deck(expr: str, values: tuple[tuple[str, float], ...]) -> dict:
    trace = parse(expr).trace(dict(values))
    return deck_data(trace, title=expr, box_notes=box_notes(built(expr, values)))


@st.cache_data(max_entries=64, ttl=CACHE["ttl"], show_spinner=False)
def torch_result(expr: str, values: tuple[tuple[str, float], ...]) -> torch_run.TorchResult:
    return torch_run.run(parse(expr), dict(values), built(expr, values))


def fn_text(made: Program, node: int | None) -> str:
    return "None" if node is None else f"<{made.grad_fn(node)}>"


def structure_rows(made: Program) -> dict[str, list[str]]:
    """Per box: the engine's operation, PyTorch's node, and that node's next_functions."""
    rows: dict[str, list[str]] = {
        "box": [],
        "engine": [],
        "PyTorch grad_fn": [],
        "next_functions": [],
    }
    graph = made.graph
    for node in reversed(graph.topological_order()):
        n = graph.nodes[node]
        rows["box"].append(n.label if n.kind != "operation" else f"v{graph.numbers[node]}")
        rows["engine"].append(n.kind if n.kind != "operation" else n.label)
        rows["PyTorch grad_fn"].append(made.grad_fn(node) or "—")
        rows["next_functions"].append(
            ", ".join(fn_text(made, a) for a in made.next_functions(node)) or "—"
        )
    return rows


def comparison_rows(
    made: Program, engine_grads: dict[str, float], torch_grads: dict[str, float | None]
) -> dict[str, list]:
    names = [made.names[n.id] for n in made.graph.nodes if n.kind == "variable"]
    rows: dict[str, list] = {
        "variable": [],
        "engine (backpropagation)": [],
        "PyTorch .grad": [],
        "|difference|": [],
    }
    for variable, name in zip(made.graph.variables, names, strict=True):
        mine, theirs = float(engine_grads[variable]), torch_grads.get(variable)
        rows["variable"].append(f"{name}.grad")
        rows["engine (backpropagation)"].append(mine)
        rows["PyTorch .grad"].append(theirs)
        rows["|difference|"].append(abs(mine - theirs) if theirs is not None else None)
    return rows


def torch_player(page: str, state: dict, shown: dict, values: Values, clean: bool) -> None:
    """The player on the deck with autograd's names; the address bar names the function, the
    point and the step, keeping the view's own parameters (present, theme, embed)."""
    state["step"] = past_the_end(page, "step", state["step"], len(shown["frames"]) - 1)
    state["step"] = player(
        shown,
        key=f"{page}:player",
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
            **view_params(),
        }
    )
    if presenting():
        presenter_switch()


def what_pytorch_keeps(made: Program) -> None:
    """The output's grad_fn and next_functions, what backward() does, where .grad is kept; and
    every box's node in a table."""
    graph, out = made.graph, made.output
    if made.grad_fn(graph.output) and graph.nodes[graph.output].kind == "operation":
        inputs = ", ".join(f"({fn_text(made, a)}, 0)" for a in made.next_functions(graph.output))
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


def at_kinks(graph: Graph, values: Values) -> None:
    """A note for each box at a point where its derivative does not exist."""
    for point in non_differentiable_points(graph, dict(values)):
        st.info(
            f"**{point.op} at {point.at} ({node_name(graph, point.node)[0]}).** {point.why}; "
            f"{point.uses}. There PyTorch returns {point.returns}, and so does the engine's "
            "table.",
            icon=":material/info:",
        )


def beside_the_engine(made: Program, expr: str, values: Values) -> None:
    """PyTorch's .grad beside the engine's, where PyTorch is installed; else how to install it."""
    if torch_run.available() is None:
        st.info(
            "PyTorch is not installed here, so the code is not run. Everything else on this "
            "page works without it. To run it: `pip install -r requirements-torch.txt` "
            "(the CPU build: `pip install torch==2.13.0 --index-url "
            "https://download.pytorch.org/whl/cpu`).",
            icon=":material/download:",
        )
        return
    if not made.graph.variables:
        return
    result = torch_result(expr, values)
    by_engine = {name: float(g) for name, g in made.graph.gradient(dict(values)).items()}
    st.dataframe(
        comparison_rows(made, by_engine, result.grads),
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
