"""The PyTorch lesson's shared parts: the deck with autograd's name under each box, the code,
and PyTorch's own run of the same graph where it is installed (cached: importing PyTorch and
building the graph cost far more than the engine's pass)."""

from __future__ import annotations

import streamlit as st

from drawing import deck_data
from engine.pytorch import Program, program
from ui import torch_run
from ui.work import CACHE, parse


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
        rows["box"].append(n.label if n.kind != "operation" else f"v{node + 1}")
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
