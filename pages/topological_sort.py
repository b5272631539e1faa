"""Lesson: why the backward pass needs a topological order.

On log(xy) + exp(xy) the product xy feeds both log and exp. If × fires before both have sent
their d_out, it passes on only part of its gradient, and the result is wrong. The student runs
the backward pass in a wrong order beside the topological one and watches where it breaks.
"""

from __future__ import annotations

import streamlit as st

import engine
from ui.examples import examples
from ui.order import (
    compare_gradients,
    firings_table,
    order_stepper,
    search_stepper,
    show_verdict,
    who,
)
from ui.page import opening, write_link
from ui.widgets import linked
from ui.work import deck, parse

PAGE = "topological-sort"
EXAMPLES = examples("log(xy)+exp(xy)", "sin(x) + sin(x)^2", "(a+b)(b+1)")
ORDERS = {
    "first-visit": "Depth-first, as each node is first reached",
    "breadth-first": "Breadth-first, nearest to the output first",
    "own": "My own order",
}


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


state = opening(PAGE, read_link, "Topological sort: why the order matters")

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
search_stepper(PAGE, state, deck(text, tuple(values.items())))

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
show_verdict(graph, order, right, wrong_trace)
compare_gradients(graph, wrong_trace, right_trace)

# One player, switched between the two orders: two side by side would be too small to read.
state.setdefault("shown", "Your order")
shown = linked(
    PAGE, state, "shown", st.segmented_control, "Step through", ["Your order", "Topological order"]
)
order_stepper(PAGE, state, text, values, order if shown == "Your order" else right)
firings_table(graph, wrong_trace, right_trace)

write_link(PAGE, {**settings, "step": state["step"]}, steps=("step", "search"))
