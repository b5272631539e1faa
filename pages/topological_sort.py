"""Lesson: why the backward pass needs a topological order.

On log(xy) + exp(xy) the product xy feeds both log and exp. If × fires before both have sent
their d_out, it passes on only part of its gradient, and the result is wrong. The student runs
the backward pass in a wrong order beside the topological one and watches where it breaks.
"""

from __future__ import annotations

import streamlit as st

import engine
from engine.explain import node_name
from ui.page import past_the_end, show_link_problems, state_from_link, write_link
from ui.player import StepParam
from ui.widgets import linked, stepper
from ui.work import deck, order_deck, parse

PAGE = "topological-sort"
EXAMPLES: dict[str, dict[str, float]] = {
    "log(xy)+exp(xy)": {"x": 1.0, "y": 2.0},
    "sin(x) + sin(x)^2": {"x": 0.5},
    "(a+b)(b+1)": {"a": 2.0, "b": 1.0},
}
ORDERS = {
    "first-visit": "Depth-first, as each node is first reached",
    "breadth-first": "Breadth-first, nearest to the output first",
    "own": "My own order",
}


def who(graph: engine.Graph, n: int) -> str:
    node = graph.nodes[n]
    name = node_name(graph, n)[0]
    return f"{node.symbol} ({name})" if node.kind == "operation" else name


def read_link(link) -> dict:
    expr = link.choice("expr", "log(xy)+exp(xy)", [e.lower() for e in EXAMPLES])
    expr = next(e for e in EXAMPLES if e.lower() == expr)
    chosen: list[int] = []
    raw = link.text("order", "")
    if raw:
        graph = parse(expr)
        try:
            chosen = engine.order_of_text(graph, raw)
        except ValueError:
            link.problems.append(
                f"The link's order={raw[:40]!r} should list operation numbers of {expr}, each "
                "once, separated by commas (here "
                f"{', '.join(str(n + 1) for n in engine.operations(graph))}); none is placed yet."
            )
    return {
        "expr": expr,
        "kind": link.choice("wrong", "first-visit", list(ORDERS)),
        "chosen": chosen,
        "search": link.whole("search", 0),
        "step": link.whole("step", 0),
    }


def choose_example() -> None:
    state["chosen"] = []
    st.session_state[f"{PAGE}:chosen"] = []


state = state_from_link(PAGE, read_link)

st.title("Topological sort: why the order matters")
show_link_problems(PAGE)

text = linked(
    PAGE, state, "expr", st.selectbox, "Function", list(EXAMPLES), on_change=choose_example
)
values = EXAMPLES[text]
graph = parse(text)

st.markdown(
    "**The graph is a DAG.** Every operation creates a *new* variable and never changes an "
    "old one, so every arrow points from older values to newer ones: no path can lead back "
    "to where it started. A value can still feed several operations (it *fans out*): in "
    "`log(xy)+exp(xy)` the product xy feeds log and exp.\n\n"
    "**The backward pass must respect that.** A node may pass on its d_out only when every "
    "operation that uses it has sent its share; otherwise the shares that arrive later are "
    "lost. An order where every node comes after all its users is a *topological order* "
    "(reversed); a depth-first search from the output finds one."
)

# -- the search ---------------------------------------------------------------------------------
st.subheader("The depth-first search that finds the order")
st.caption(
    "Yellow: on the search's stack, waiting for its inputs. Green: placed in the order, "
    "all its inputs placed before it. The explanation lists the stack and the visited "
    "nodes after each move."
)
full = deck(text, tuple(values.items()))
# The link counts steps from the search's first one: search=0 opens where the search starts.
search = next(p for p in full["phases"] if p["name"] == "order")
state["search"] = past_the_end(PAGE, "search", state["search"], search["last"] - search["first"])
state["search-step"] = search["first"] + state["search"]
stepper(
    PAGE,
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

# -- the backward pass in a wrong order ---------------------------------------------------------
st.subheader("The backward pass in another order")
linked(
    PAGE,
    state,
    "kind",
    st.radio,
    "Order to try",
    list(ORDERS),
    format_func=ORDERS.get,
    horizontal=True,
)
right = engine.topological_backward_order(graph)
settings = {"expr": text, "wrong": state["kind"], "search": state["search"]}
if state["kind"] == "own":
    linked(
        PAGE,
        state,
        "chosen",
        st.multiselect,
        "Pick the operations in the order they should fire",
        engine.operations(graph),
        format_func=lambda n: who(graph, n),
        help="Every operation, in the order it fires. The variables fire last: they only "
        "collect what arrives.",
    )
    settings["order"] = ",".join(str(n + 1) for n in state["chosen"]) or None
    left = engine.unplaced(graph, state["chosen"])
    if left:
        st.info(
            f"Place every operation to run the backward pass in your order: "
            f"{len(left)} of {len(engine.operations(graph))} still to place "
            f"({', '.join(who(graph, n) for n in left)}).",
            icon=":material/pending:",
        )
        write_link(PAGE, settings, steps=("search",))
        st.stop()
    order = engine.backward_order(graph, state["chosen"])
else:
    order = engine.search_order(graph, state["kind"])

wrong_trace = engine.backward_in_order(graph, values, order)
right_trace = engine.backward_in_order(graph, values, right)
early = [s for s in wrong_trace.steps if getattr(s, "early_by", ())]

early_nodes = {s.node for s in wrong_trace.steps if getattr(s, "early_by", ())}
st.markdown(
    "**Your order:** "
    + " → ".join(f":red[**{who(graph, n)}**]" if n in early_nodes else who(graph, n) for n in order)
    + "  \n**Topological order, reversed:** "
    + " → ".join(who(graph, n) for n in right)
)
if early:
    for step in early:
        waiting = ", ".join(who(graph, u) for u in step.early_by)
        st.error(
            f"**{who(graph, step.node)} fired too early:** {waiting} had not sent its "
            f"d_out yet. It passed on d_out = {step.d_out:.4g}; what arrived later never "
            "reached its inputs.",
            icon=":material/warning:",
        )
else:
    st.success(
        "This order works: every node fires after all its users have sent. It is a "
        "topological order too.",
        icon=":material/check_circle:",
    )

wrong_column, right_column = st.columns(2)
for column, title, trace in [
    (wrong_column, "Your order", wrong_trace),
    (right_column, "Topological order", right_trace),
]:
    with column:
        st.markdown(f"#### {title}")
        metrics = st.columns(len(graph.variables))
        for metric, name in zip(metrics, graph.variables, strict=False):
            value = trace.gradient[name]
            wrong = trace is wrong_trace and abs(value - right_trace.gradient[name]) > 1e-12 * max(
                1.0, abs(right_trace.gradient[name])
            )
            metric.metric(
                f"∂f/∂{name}",
                f"{value:.6g}",
                delta=f"should be {right_trace.gradient[name]:.6g}" if wrong else None,
                delta_color="red",
                delta_arrow="off",
            )

# One player, switched between the two orders: two side by side would be too small to read.
state.setdefault("shown", "Your order")
shown = linked(
    PAGE, state, "shown", st.segmented_control, "Step through", ["Your order", "Topological order"]
)
shown_order = order if shown == "Your order" else right
shown_deck = order_deck(text, tuple(values.items()), tuple(shown_order))
backward = next(p for p in shown_deck["phases"] if p["name"] == "backward")
if f"{PAGE}:order:shape" not in st.session_state and not state["step"]:
    # A link's own step counts on first load; else the backward pass's first step.
    state["step"] = backward["first"]
# Another order shown: start at its backward pass.
stepper(
    PAGE,
    state,
    shown_deck,
    key="order",
    height=470,
    start=backward["first"],
    same=shown_deck["digest"],
)

fired = engine.firings(wrong_trace, right_trace)
st.dataframe(
    {
        "node": [who(graph, f.node) for f in fired],
        "fires at": [f.at for f in fired],
        "d_out when it fired (your order)": [f.d_out for f in fired],
        "d_out when it fired (topological)": [f.d_out_in_order for f in fired],
        "users that had not sent": [", ".join(who(graph, u) for u in f.early_by) for f in fired],
    },
    hide_index=True,
)

write_link(PAGE, {**settings, "step": state["step"]}, steps=("step", "search"))
