"""The playground's "Collapse" control and the link's collapse= list, run headless with
Streamlit's AppTest; the deck handed to the player is read from the component's data."""

from __future__ import annotations

from conftest import component_data
from streamlit.testing.v1 import AppTest

import engine
from engine.collapse import subexpressions

APP = "../app.py"
NEURON = "sigmoid(w1*x1 + w2*x2 + w3*x3 + b)"


def run(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    at.run()  # the run the player asks for once its diagram is on screen: the rest of the page
    assert not at.exception, [e.value for e in at.exception]
    return at


def deck(at: AppTest) -> dict:
    (component,) = at.get("bidi_component")
    return component_data(component)["deck"]


def link(at: AppTest) -> dict[str, list[str]]:
    return {k: [v] if isinstance(v, str) else list(v) for k, v in at.query_params.items()}


def operations(deck_shown: dict) -> int:
    return sum(1 for frame in deck_shown["frames"] if frame["phase"] == "forward")


def test_the_control_lists_each_subexpression_by_its_text_and_collapses_it():
    at = run({"expr": NEURON})
    control = at.multiselect(key="playground:collapse")
    graph = engine.parse(NEURON)
    found = subexpressions(graph)
    assert control.options == [s.text for s in found]
    assert control.value == []
    full = deck(at)
    assert operations(full) == 7 and not full.get("boxes")

    control.select(found[-1].node).run()  # the whole neuron
    assert not at.exception
    collapsed = deck(at)
    assert operations(collapsed) == 1
    assert len(collapsed["frames"]) < len(full["frames"])
    ((element, box),) = collapsed["boxes"].items()
    assert box == {"node": found[-1].number, "text": "sigmoid(w1·x1 + w2·x2 + w3·x3 + b)"}
    assert "bp-collapsed" in collapsed["frames"][0]["patch"][element]["classes"]
    assert link(at)["collapse"] == [str(found[-1].number)]


def test_collapse_every_function_call_gives_one_box_per_neuron():
    text = "sigmoid(w5*sigmoid(w1*x + w2*y + b1) + w6*sigmoid(w3*x + w4*y + b2) + b3)"
    at = run({"expr": text})
    at.button[[b.label for b in at.button].index("Collapse every function call")].click().run()
    assert not at.exception
    boxes = deck(at)["boxes"]
    assert sorted(b["text"] for b in boxes.values()) == [
        "sigmoid(w1·x + w2·y + b1)",
        "sigmoid(w3·x + w4·y + b2)",
    ]
    assert link(at)["collapse"] == [
        ",".join(str(b["node"]) for b in sorted(boxes.values(), key=lambda b: b["node"]))
    ]


def test_a_link_opens_collapsed_and_a_bad_list_is_said_not_run():
    graph = engine.parse(NEURON)
    number = subexpressions(graph)[-1].number
    at = run({"expr": NEURON, "collapse": str(number), "step": "1"})
    assert operations(deck(at)) == 1
    assert at.multiselect(key="playground:collapse").value == [number - 1]
    for bad, says in [("v9", "is not a node number"), ("1", "node 1 is not a subexpression")]:
        at = run({"expr": NEURON, "collapse": bad})
        warning = " ".join(w.value for w in at.warning)
        assert says in warning and "nothing is collapsed" in warning
        assert operations(deck(at)) == 7
        assert "collapse" not in link(at)


def test_hide_constants_writes_each_constant_into_its_box():
    at = run({"expr": "2x + 3y", "x": "1", "y": "2"})
    full = deck(at)
    at.toggle(key="playground:hide_constants").set_value(True).run()
    assert not at.exception
    hidden = deck(at)
    assert operations(hidden) == operations(full) == 3
    assert len(hidden["frames"]) < len(full["frames"])  # no constant boxes to order
    svg_texts = " ".join(
        look["texts"][0] for look in hidden["frames"][0]["patch"].values() if look["texts"]
    )
    assert "2·x" in svg_texts and "3·y" in svg_texts
    assert not hidden.get("boxes")  # not clickable: the toggle brings the constants back
    assert link(at)["hide_constants"] == ["true"]
    last = hidden["frames"][-1]["html"]
    assert "backprop" in last  # the gradient check table, as for any deck


def test_another_function_drops_the_list():
    graph = engine.parse(NEURON)
    at = run({"expr": NEURON, "collapse": str(subexpressions(graph)[-1].number)})
    at.text_input(key="playground:expr").input("sigmoid(w*x + b)").run()
    assert not at.exception
    assert operations(deck(at)) == 3 and not deck(at).get("boxes")
    assert "collapse" not in link(at)


def test_collapsing_and_hiding_constants_keep_the_decks_family_and_its_steps_keys():
    """The player keeps the student's place across these decks (assets/player.js): they are of
    one family, and every step the collapsed deck has outside its box has the full deck's key."""
    text = "sigmoid(w*x + b) + 2*x"
    at = run({"expr": text})
    full = deck(at)
    graph = engine.parse(text)
    neuron = next(s for s in subexpressions(graph) if s.call)
    at.multiselect(key="playground:collapse").select(neuron.node).run()
    collapsed = deck(at)
    at.toggle(key="playground:hide_constants").set_value(True).run()
    hidden = deck(at)
    assert not at.exception
    assert len({d["shape"] for d in (full, collapsed, hidden)}) == 3
    assert full["family"] == collapsed["family"] == hidden["family"]
    keys = {frame["key"] for frame in full["frames"]}
    inside = set(collapsed["holds"][str(neuron.number)])
    outside = [f for f in collapsed["frames"] if f["node"] not in inside]
    assert outside and all(f["key"] in keys for f in outside)
    at.text_input(key="playground:expr").input("sigmoid(w*x + b) + 3*x").run()
    assert deck(at)["family"] != full["family"]
