"""Lesson: why the backward pass needs a topological order.

On log(xy) + exp(xy) the product xy feeds both log and exp. If × fires before both have sent
their d_out, it passes on only part of its gradient, and the result is wrong. The student runs
the backward pass in a wrong order beside the topological one and watches where it breaks.
"""

from __future__ import annotations

import streamlit as st

import engine
from drawing import deck_data
from engine.explain import node_name
from ui.page import past_the_end, show_link_problems, state_from_link, theme
from ui.player import player
from ui.work import CACHE, deck, parse

PAGE = "topological-sort"
EXAMPLES: dict[str, dict[str, float]] = {
    "log(xy)+exp(xy)": {"x": 1.0, "y": 2.0},
    "sin(x) + sin(x)^2": {"x": 0.5},
    "(a+b)(b+1)": {"a": 2.0, "b": 1.0},
}
ORDERS = {"first-visit": "Depth-first, as each node is first reached",
          "breadth-first": "Breadth-first, nearest to the output first",
          "own": "My own order"}


def who(graph: engine.Graph, n: int) -> str:
    node = graph.nodes[n]
    name = node_name(graph, n)[0]
    return f"{node.symbol} ({name})" if node.kind == "operation" else name


def operations(graph: engine.Graph) -> list[int]:
    """The boxes a student can order: operations on a path from a variable, output first."""
    return [n for n in reversed(graph.topological_order())
            if graph.nodes[n].kind == "operation" and graph.needs_gradient[n]]


def complete(graph: engine.Graph, chosen: list[int]) -> list[int]:
    """A full backward order: the chosen operations, then the others in reverse topological
    order, then the variables. Variables only collect what arrives, so they go last."""
    rest = [n for n in operations(graph) if n not in chosen]
    variables = [n.id for n in graph.nodes if n.kind == "variable"]
    return list(chosen) + rest + variables


def preset(graph: engine.Graph, kind: str) -> list[int]:
    order = engine.first_visit_order(graph) if kind == "first-visit" else \
        engine.breadth_first_order(graph)
    ops = set(operations(graph))
    return complete(graph, [n for n in order if n in ops])


def read_link(link) -> dict:
    expr = link.choice("expr", "log(xy)+exp(xy)", [e.lower() for e in EXAMPLES])
    expr = next(e for e in EXAMPLES if e.lower() == expr)
    chosen: list[int] = []
    raw = link.text("order", "")
    if raw:
        allowed = operations(parse(expr))
        try:
            numbers = [int(part) - 1 for part in raw.split(",") if part.strip()]
        except ValueError:
            numbers = None
        if numbers is None or any(n not in allowed for n in numbers) \
                or len(set(numbers)) != len(numbers):
            link.problems.append(
                f"The link's order={raw[:40]!r} should list operation numbers of {expr}, each "
                f"once, separated by commas (here {', '.join(str(n + 1) for n in allowed)}); "
                "the depth-first order is used instead.")
        else:
            chosen = numbers
    return {"expr": expr, "kind": link.choice("wrong", "first-visit", list(ORDERS)),
            "chosen": chosen, "search": link.whole("search", 0),
            "step": link.whole("step", 0)}


@st.cache_data(**CACHE)
def order_deck(text: str, values: tuple[tuple[str, float], ...],
               order: tuple[int, ...]) -> dict:
    """The forward pass, then the backward pass in the given order."""
    trace = engine.backward_in_order(parse(text), dict(values), order)
    return deck_data(trace, title=f"{text} · backward in the order chosen")


def choose_example() -> None:
    state["chosen"] = []
    st.session_state[f"{PAGE}:chosen"] = []


state = state_from_link(PAGE, read_link)

st.title("Topological sort: why the order matters")
show_link_problems(PAGE)

st.session_state.setdefault(f"{PAGE}:expr", state["expr"])
state["expr"] = st.selectbox("Function", list(EXAMPLES), key=f"{PAGE}:expr",
                             on_change=choose_example)
text = state["expr"]
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
    "(reversed); a depth-first search from the output finds one.")

# -- the search ---------------------------------------------------------------------------------
st.subheader("The depth-first search that finds the order")
st.caption("Yellow: on the search's stack, waiting for its inputs. Green: placed in the order, "
           "all its inputs placed before it. The explanation lists the stack and the visited "
           "nodes after each move.")
full = deck(text, tuple(values.items()))
# The link counts steps from the search's first one: search=0 opens where the search starts.
search = next(p for p in full["phases"] if p["name"] == "order")
state["search"] = past_the_end(PAGE, "search", state["search"],
                               search["last"] - search["first"])
shown_step = player(full, key=f"{PAGE}:search", step=search["first"] + state["search"],
                    height=470, theme=theme())
state["search"] = min(max(shown_step - search["first"], 0), search["last"] - search["first"])

# -- the backward pass in a wrong order ---------------------------------------------------------
st.subheader("The backward pass in another order")
st.session_state.setdefault(f"{PAGE}:kind", state["kind"])
state["kind"] = st.radio("Order to try", list(ORDERS), format_func=ORDERS.get,
                         key=f"{PAGE}:kind", horizontal=True)
if state["kind"] == "own":
    st.session_state.setdefault(f"{PAGE}:chosen", state["chosen"])
    state["chosen"] = st.multiselect(
        "Pick the operations in the order they should fire", operations(graph),
        key=f"{PAGE}:chosen", format_func=lambda n: who(graph, n),
        help="The ones you leave out fire after yours, in topological order. The variables "
             "fire last: they only collect what arrives.")
    order = complete(graph, state["chosen"])
else:
    order = preset(graph, state["kind"])
right = list(reversed(graph.topological_order()))
right = [n for n in right if graph.needs_gradient[n]]

wrong_trace = engine.backward_in_order(graph, values, order)
right_trace = engine.backward_in_order(graph, values, right)
early = [s for s in wrong_trace.steps if getattr(s, "early_by", ())]

early_nodes = {s.node for s in wrong_trace.steps if getattr(s, "early_by", ())}
st.markdown("**Your order:** " + " → ".join(f":red[**{who(graph, n)}**]" if n in early_nodes
                                            else who(graph, n) for n in order) +
            "  \n**Topological order, reversed:** " + " → ".join(who(graph, n) for n in right))
if early:
    for step in early:
        waiting = ", ".join(who(graph, u) for u in step.early_by)
        st.error(f"**{who(graph, step.node)} fired too early:** {waiting} had not sent its "
                 f"d_out yet. It passed on d_out = {step.d_out:.4g}; what arrived later never "
                 "reached its inputs.", icon=":material/warning:")
else:
    st.success("This order works: every node fires after all its users have sent. It is a "
               "topological order too.", icon=":material/check_circle:")

wrong_column, right_column = st.columns(2)
for column, title, trace in [(wrong_column, "Your order", wrong_trace),
                             (right_column, "Topological order", right_trace)]:
    with column:
        st.markdown(f"#### {title}")
        metrics = st.columns(len(graph.variables))
        for metric, name in zip(metrics, graph.variables):
            value = trace.gradient[name]
            wrong = trace is wrong_trace and abs(value - right_trace.gradient[name]) > 1e-12 * \
                max(1.0, abs(right_trace.gradient[name]))
            metric.metric(f"∂f/∂{name}", f"{value:.6g}",
                          delta=f"should be {right_trace.gradient[name]:.6g}" if wrong else None,
                          delta_color="red", delta_arrow="off")

# One player, switched between the two orders: two side by side would be too small to read.
st.session_state.setdefault(f"{PAGE}:shown", "Your order")
shown = st.segmented_control("Step through", ["Your order", "Topological order"],
                             key=f"{PAGE}:shown") or "Your order"
shown_order = order if shown == "Your order" else right
shown_deck = order_deck(text, tuple(values.items()), tuple(shown_order))
backward = next(p for p in shown_deck["phases"] if p["name"] == "backward")
# Another order shown: start at its backward pass (a link's own step counts on first load).
shown_key = (text, tuple(shown_order))
previous = st.session_state.get(f"{PAGE}:shown-key")
if previous != shown_key:
    if previous is not None or not state["step"]:
        state["step"] = backward["first"]
    st.session_state[f"{PAGE}:shown-key"] = shown_key
state["step"] = past_the_end(PAGE, "step", state["step"], len(shown_deck["frames"]) - 1)
state["step"] = player(shown_deck, key=f"{PAGE}:order", step=state["step"], height=470,
                       theme=theme())

table = {"node": [], "fires at": [], "d_out when it fired (your order)": [],
         "d_out when it fired (topological)": [], "users that had not sent": []}
fired = {s.node: (i, s) for i, s in
         enumerate((s for s in wrong_trace.steps if s.phase == "backward"), 1)}
correct = {s.node: s for s in right_trace.steps if s.phase == "backward"}
for n in order:
    i, step = fired[n]
    table["node"].append(who(graph, n))
    table["fires at"].append(i)
    table["d_out when it fired (your order)"].append(step.d_out)
    table["d_out when it fired (topological)"].append(correct[n].d_out)
    table["users that had not sent"].append(", ".join(who(graph, u) for u in step.early_by))
st.dataframe(table, hide_index=True)

params = {"expr": text, "wrong": state["kind"], "search": state["search"],
          "step": state["step"]}
if state["kind"] == "own" and state["chosen"]:
    params["order"] = ",".join(str(n + 1) for n in state["chosen"])
st.query_params.from_dict({k: str(v) for k, v in params.items()})
