"""The topological-sort lesson's shared parts: how a node is named, the search and the backward
pass stepped through, and how an order is judged against the topological one."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

import engine
from engine.explain import node_name

from .page import past_the_end
from .player import StepParam
from .widgets import stepper
from .work import order_deck


def who(graph: engine.Graph, n: int) -> str:
    """A node as the lesson names it: an operation by its symbol and name, a variable by name."""
    node = graph.nodes[n]
    name = node_name(graph, n)[0]
    return f"{node.symbol} ({name})" if node.kind == "operation" else name


def search_stepper(page: str, state: dict, full: dict) -> None:
    """The player on the depth-first search's steps. The link counts steps from the search's
    first one: search=0 opens where the search starts."""
    search = next(p for p in full["phases"] if p["name"] == "order")
    state["search"] = past_the_end(
        page, "search", state["search"], search["last"] - search["first"]
    )
    state["search-step"] = search["first"] + state["search"]
    stepper(
        page,
        state,
        full,
        key="search",
        field="search-step",
        height=470,
        start=search["first"],
        url=StepParam("search", -search["first"]),
        main=False,
    )
    state["search"] = min(
        max(state["search-step"] - search["first"], 0), search["last"] - search["first"]
    )


def show_verdict(
    graph: engine.Graph, order: Sequence[int], right: Sequence[int], tried: engine.Trace
) -> None:
    """Both orders, the nodes that fired too early in red, and why each broke the result."""
    early = [s for s in tried.steps if isinstance(s, engine.BackwardStep) and s.early_by]
    early_nodes = {s.node for s in early}
    st.markdown(
        "**Your order:** "
        + " → ".join(
            f":red[**{who(graph, n)}**]" if n in early_nodes else who(graph, n) for n in order
        )
        + "  \n**Topological order, reversed:** "
        + " → ".join(who(graph, n) for n in right)
    )
    for step in early:
        waiting = ", ".join(who(graph, u) for u in step.early_by)
        st.error(
            f"**{who(graph, step.node)} fired too early:** {waiting} had not sent its "
            f"d_out yet. It passed on d_out = {step.d_out:.4g}; what arrived later never "
            "reached its inputs.",
            icon=":material/warning:",
        )
    if not early:
        st.success(
            "This order works: every node fires after all its users have sent. It is a "
            "topological order too.",
            icon=":material/check_circle:",
        )


def compare_gradients(graph: engine.Graph, tried: engine.Trace, right: engine.Trace) -> None:
    """The gradient each order gives, side by side; a wrong one says what it should be."""
    for column, title, trace in zip(
        st.columns(2), ["Your order", "Topological order"], [tried, right], strict=True
    ):
        with column:
            st.markdown(f"#### {title}")
            metrics = st.columns(len(graph.variables))
            for metric, name in zip(metrics, graph.variables, strict=False):
                value, should = trace.gradient[name], right.gradient[name]
                wrong = trace is tried and abs(value - should) > 1e-12 * max(1.0, abs(should))
                metric.metric(
                    f"∂f/∂{name}",
                    f"{value:.6g}",
                    delta=f"should be {should:.6g}" if wrong else None,
                    delta_color="red",
                    delta_arrow="off",
                )


def order_stepper(
    page: str, state: dict, text: str, values: dict[str, float], order: Sequence[int]
) -> None:
    """The player on the backward pass in `order`, opening at the backward pass's first step
    (or, on a link's first load, at the link's step)."""
    shown_deck = order_deck(text, tuple(values.items()), tuple(order))
    backward = next(p for p in shown_deck["phases"] if p["name"] == "backward")
    if f"{page}:order:shape" not in st.session_state and not state["step"]:
        state["step"] = backward["first"]
    stepper(
        page,
        state,
        shown_deck,
        key="order",
        height=470,
        start=backward["first"],
        same=shown_deck["digest"],
    )


def firings_table(graph: engine.Graph, tried: engine.Trace, right: engine.Trace) -> None:
    """When each node fired and what it passed on, in the order tried and in a topological one."""
    fired = engine.firings(tried, right)
    st.dataframe(
        {
            "node": [who(graph, f.node) for f in fired],
            "fires at": [f.at for f in fired],
            "d_out when it fired (your order)": [f.d_out for f in fired],
            "d_out when it fired (topological)": [f.d_out_in_order for f in fired],
            "users that had not sent": [
                ", ".join(who(graph, u) for u in f.early_by) for f in fired
            ],
        },
        hide_index=True,
    )
