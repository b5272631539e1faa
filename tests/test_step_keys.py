"""Each frame of a deck says what its step is about (drawing.deck.StepKey), in terms of the full
graph, so that the player lands on the corresponding step when the same function comes back with
other subexpressions collapsed or its constants hidden. The oracle is the traces' own steps: the
node each step is about, mapped to the full graph by the collapsed graph's `original`, and the
boxes' insides as engine.collapse defines them."""

from __future__ import annotations

import pytest

import engine
from drawing.collapsed import with_boxes
from drawing.deck import ASSETS, deck_data
from drawing.forward_mode import forward_mode_deck
from engine.collapse import CollapsedGraph, collapse, function_calls, inside, subexpressions
from engine.trace import OrderStep

FUNCTIONS = [
    "log(xy) + exp(xy)",
    "sigmoid(w1*x1 + w2*x2 + w3*x3 + b)",
    "sigmoid(w5*sigmoid(w1*x + w2*y + b1) + w6*tanh(w3*x + w4*y + b2) + b3)",
    "sqrt(x^2 + y^2) - relu(x - 2*y) + 3",
    "x*x*sin(x*y) / (1 + y^2)",
]


def variants(graph: engine.Graph) -> list[tuple[tuple[int, ...], bool]]:
    """Every subexpression alone, the function calls, all at once, and the constants hidden
    (alone and with the function calls)."""
    roots = [s.node for s in subexpressions(graph)]
    return [((r,), False) for r in roots] + [
        (function_calls(graph), False),
        (tuple(roots), False),
        ((), True),
        (function_calls(graph), True),
    ]


def deck_of(graph: engine.Graph) -> tuple[dict, engine.Trace]:
    trace = graph.trace({v: 0.7 for v in graph.variables})
    return with_boxes(deck_data(trace), trace), trace


def about(graph: engine.Graph, step) -> tuple[str, int]:
    """(phase, the full graph's node id) of a trace step, from the collapsed graph's own map."""
    original = graph.original if isinstance(graph, CollapsedGraph) else range(len(graph.nodes))
    return step.phase, original[step.node]


def held(collapsed: CollapsedGraph) -> dict[int, set[int]]:
    """Each box's root (full graph id) -> the full graph's nodes drawn as that box: the inside
    of a collapsed subexpression, or an operation and the constants written into it."""
    full, result = collapsed.full, {}
    for n, box in collapsed.boxes().items():
        root = collapsed.original[n]
        result[root] = (
            {root} | {a for a in full.nodes[root].args if full.nodes[a].kind == "constant"}
            if box.folded
            else set(inside(full, root))
        )
    return result


@pytest.mark.parametrize("text", FUNCTIONS)
def test_each_frame_is_about_its_steps_node_of_the_full_graph(text):
    graph = engine.parse(text)
    for roots, hide in [((), False), *variants(graph)]:
        shown = collapse(graph, roots, hide_constants=hide) if roots or hide else graph
        deck, trace = deck_of(shown)
        frames = deck["frames"]
        assert frames[0]["key"] == "start" and frames[0]["node"] == 0
        for frame, step in zip(frames[1:], trace.steps, strict=True):
            phase, node = about(shown, step)
            assert (frame["phase"], frame["node"]) == (phase, node + 1)
            assert frame["key"].startswith(f"{phase} {node + 1}")
        keys = [frame["key"] for frame in frames]
        assert len(set(keys)) == len(keys)
        assert deck["family"] == deck_of(graph)[0]["family"]


@pytest.mark.parametrize("text", FUNCTIONS)
def test_keys_of_steps_in_both_decks_are_equal(text):
    """A forward or backward step about a node drawn in both decks has the same key in both;
    so have the search's entering and leaving a node."""
    graph = engine.parse(text)
    full, full_trace = deck_of(graph)
    key_of = {
        (about(graph, s), getattr(s, "action", "")): f["key"]
        for s, f in zip(full_trace.steps, full["frames"][1:], strict=True)
        if not (isinstance(s, OrderStep) and s.action == "skip")
    }
    for roots, hide in variants(graph):
        shown = collapse(graph, roots, hide_constants=hide)
        boxes = {shown.original[n] for n in shown.boxes()}
        deck, trace = deck_of(shown)
        checked = 0
        for step, frame in zip(trace.steps, deck["frames"][1:], strict=True):
            what = (about(shown, step), getattr(step, "action", ""))
            if what[0][1] in boxes or what[1] == "skip":
                continue
            assert frame["key"] == key_of[what]
            checked += 1
        assert checked >= len(graph.variables)


@pytest.mark.parametrize("text", FUNCTIONS)
def test_holds_lists_each_boxs_nodes_and_every_hidden_node(text):
    graph = engine.parse(text)
    for roots, hide in variants(graph):
        shown = collapse(graph, roots, hide_constants=hide)
        deck, _ = deck_of(shown)
        expected = held(shown)
        assert deck["holds"] == {
            str(root + 1): sorted(n + 1 for n in nodes) for root, nodes in expected.items()
        }
        hidden = set(range(len(graph.nodes))) - set(shown.original)
        # a constant several boxes write in (x^2 + y^2) is held by each of them
        assert {n for nodes in expected.values() for n in nodes} - set(expected) == hidden


def test_another_function_or_drawing_is_another_family():
    families = {
        deck_of(engine.parse(text, merge=merge))[0]["family"]
        for text in ("log(xy) + exp(xy)", "log(xy) + exp(x*y*1)", "x*x + 2x")
        for merge in (True, False)
    }
    assert len(families) == 6
    graph = engine.parse("x*x*sin(x*y)")
    tangent = engine.forward_mode(graph, {"x": 1.0, "y": 2.0}, wrt="x")
    assert [f["key"] for f in forward_mode_deck(tangent)["frames"]] == ["start"] + [
        f"forward {s.node + 1}" for s in tangent.steps
    ]


# -- the player's mapping (assets/player.js, bpCorrespondingStep), in a real browser ----------


def slim(deck: dict) -> dict:
    return {
        "family": deck["family"],
        "holds": deck.get("holds", {}),
        "frames": [{k: f[k] for k in ("phase", "key", "node")} for f in deck["frames"]],
    }


MAP_ALL = """([before, after]) => before.frames.map((_, k) => {
  const there = bpCorrespondingStep(before, k, null, after);
  const back = bpCorrespondingStep(after, there.step, there.chosen, before);
  const plain = bpCorrespondingStep(after, there.step, null, before);
  return [there.step, back.step, plain.step];
})"""


@pytest.mark.parametrize("text", FUNCTIONS[:4])
def test_the_player_lands_on_the_corresponding_step_and_comes_back(browser, text):
    page = browser.new_page()
    page.set_content(f"<script>{(ASSETS / 'player.js').read_text(encoding='utf-8')}</script>")
    graph = engine.parse(text)
    full, full_trace = deck_of(graph)
    full_steps = [None, *full_trace.steps]
    for roots, hide in variants(graph):
        shown = collapse(graph, roots, hide_constants=hide)
        deck, trace = deck_of(shown)
        steps = [None, *trace.steps]
        holder = {n: root for root, nodes in held(shown).items() for n in nodes}
        mapped = page.evaluate(MAP_ALL, [slim(full), slim(deck)])
        for k, (there, back, plain) in enumerate(mapped):
            assert back == k, (text, roots, hide, k)  # collapsed and expanded again: same step
            if k == 0:
                assert there == 0
                continue
            phase, node = about(graph, full_steps[k])
            if phase == "order":
                assert steps[there].phase == "order"
                continue
            # the same node's step, or the step of the box that holds it, in the same phase
            assert about(shown, steps[there]) == (phase, holder.get(node, node))
            # expanded without the step chosen before: the box's first forward step is the
            # first step of its inside, any other step the same node's
            if phase == "forward" and node in holder:
                inner = held(shown)[holder[node]]
                first = next(
                    j
                    for j, s in enumerate(full_steps)
                    if j and s.phase == phase and s.node in inner
                )
                assert plain == first
            elif phase == "backward":
                assert about(graph, full_steps[plain]) == (phase, holder.get(node, node))
    page.close()


@pytest.mark.parametrize("text", FUNCTIONS[1:3])
def test_from_one_choice_of_boxes_to_another_and_back(browser, text):
    """Collapsed one way, then another (another subexpression, constants hidden): the same phase
    on the way there, and the very step on the way back."""
    page = browser.new_page()
    page.set_content(f"<script>{(ASSETS / 'player.js').read_text(encoding='utf-8')}</script>")
    graph = engine.parse(text)
    decks = [slim(deck_of(collapse(graph, r, hide_constants=h))[0]) for r, h in variants(graph)]
    for before in decks:
        for after in decks:
            mapped = page.evaluate(MAP_ALL, [before, after])
            for k, (there, back, _) in enumerate(mapped):
                assert back == k
                assert after["frames"][there]["phase"] == before["frames"][k]["phase"]
    page.close()


@pytest.mark.parametrize("text", FUNCTIONS)
def test_expanding_a_box_at_its_forward_step_goes_to_the_first_step_of_its_inside(browser, text):
    """A box expanded, with or without the constants hidden (its root may then stay a box of an
    operation and its constants): from the box's forward step, the first forward step of any
    node of its inside; from any other step of the box, the box's root's step of that phase."""
    page = browser.new_page()
    page.set_content(f"<script>{(ASSETS / 'player.js').read_text(encoding='utf-8')}</script>")
    graph = engine.parse(text)
    for s in subexpressions(graph):
        for hide in (False, True):
            before = collapse(graph, [s.node], hide_constants=hide)
            after = collapse(graph, [], hide_constants=True) if hide else graph
            old, old_trace = deck_of(before)
            new, new_trace = deck_of(after)
            box = before.original.index(s.node)
            inner = set(inside(graph, s.node))
            steps = [j for j, st in enumerate(old_trace.steps, 1) if st.node == box]
            mapped = page.evaluate(
                "([before, after, ks]) => ks.map((k) => "
                "bpCorrespondingStep(before, k, null, after).step)",
                [slim(old), slim(new), steps],
            )
            for k, there in zip(steps, mapped, strict=True):
                phase = old_trace.steps[k - 1].phase
                if phase == "order":
                    continue
                if phase == "forward":
                    first = next(
                        j
                        for j, st in enumerate(new_trace.steps, 1)
                        if st.phase == "forward" and about(after, st)[1] in inner
                    )
                    assert there == first, (text, s.text, hide)
                else:
                    assert about(after, new_trace.steps[there - 1]) == (phase, s.node)
    page.close()
