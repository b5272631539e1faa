"""The playground page, run headless with Streamlit's AppTest: typing, examples, the URL, errors.

The step player is a browser component, opaque to AppTest; what the page hands it (the deck and
the step to show) is read from the component's data. Clicking through steps is tested in a real
browser in test_playground_browser.py.
"""

from __future__ import annotations

import html
import math
import re
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import component_data
from streamlit.testing.v1 import AppTest

import engine

APP = "../app.py"


def run(params: dict | None = None) -> AppTest:
    """A fresh session opening the playground, and the run its player asks for once its diagram
    is on screen, which draws the rest of the page (see the first test)."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_first_run_draws_the_first_screen_and_the_next_the_rest():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["x"] = "1.5"
    at.run()
    assert not at.exception
    # The inputs and the player, and what the player needs to ask for the rest.
    assert at.text_input(key="playground:expr").value == "log(xy)+exp(xy)"
    assert [n.value for n in at.number_input] == [1.5, 2.0]  # y: the example's
    assert player_data(at)["reports"] is True
    # Not yet what is under the player: the check and its slider, the export, Collapse; nor the
    # Examples box beside the Function box, which no diagram needs.
    assert not at.dataframe and not at.select_slider and not at.multiselect
    assert not at.selectbox
    assert "presenter-mode" not in [t.key for t in at.toggle]
    at.run()
    assert not at.exception
    assert len(at.dataframe) == 1 and len(at.select_slider) == 1
    assert at.multiselect(key="playground:collapse") is not None
    assert at.toggle(key="presenter-mode").value is False
    assert at.number_input(key="playground:value:x").value == 1.5  # kept
    assert at.selectbox(key="playground:example").options[0] == "log(xy)+exp(xy)"


def test_a_large_function_comes_with_its_first_steps_then_whole():
    from ui.work import FIRST_STEPS, FIRST_STEPS_NODES

    text = "+".join(f"cos({k}x+y)" for k in range(1, 40))  # built by no other test
    assert len(engine.parse(text).nodes) > FIRST_STEPS_NODES
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["expr"] = text
    at.run()
    first = player_data(at)["deck"]
    at.run()  # the run the player asks for once it has drawn them
    whole = player_data(at)["deck"]
    assert len(first["frames"]) == FIRST_STEPS < first["steps"]
    assert len(whole["frames"]) == whole["steps"] == first["steps"]
    # The same picture and steps: the player keeps the student's step as the frames come.
    assert whole["shape"] == first["shape"] and whole["svg"] == first["svg"]
    assert whole["frames"][:FIRST_STEPS] == first["frames"]
    # A course function comes whole at once.
    at.text_input(key="playground:expr").set_value("sin(x^2)").run()
    small = player_data(at)["deck"]
    assert small["title"] == "sin(x^2)" and len(small["frames"]) == small["steps"]


def test_the_whole_deck_after_the_first_steps_reuses_their_diagram(monkeypatch):
    import drawing
    import ui.work
    from ui.work import FIRST_STEPS

    built = []
    monkeypatch.setattr(
        ui.work, "build_diagram", lambda trace: built.append(trace) or drawing.build_diagram(trace)
    )
    text = "+".join(f"sin({k}x-y)" for k in range(1, 40))  # built by no other test
    values = (("x", 0.5), ("y", -1.0))
    first = ui.work.deck(text, values, first_steps_only=True)
    whole = ui.work.deck(text, values)  # the run after, once the player has drawn them
    assert len(first["frames"]) == FIRST_STEPS and len(whole["frames"]) == whole["steps"]
    assert len(built) == 1  # its layout and steps' looks, once for both
    # The same deck as one built from nothing.
    trace = engine.parse(text).trace(dict(values))
    fresh = drawing.deck_data(trace, title=text)
    assert {k: whole[k] for k in fresh} == fresh


def player_data(at: AppTest) -> dict:
    components = at.get("bidi_component")
    assert len(components) == 1, "the page shows one step player"
    return component_data(components[0])


def plain(markup: str) -> str:
    """The text a reader sees in a frame's HTML and MathML, without tags or spaces."""
    return re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]+>", "", markup)))


def expected_gradient(x: float, y: float) -> tuple[float, float]:
    """The course's hand-derived partials of log(xy) + exp(xy)."""
    return 1 / x + y * math.exp(x * y), 1 / y + x * math.exp(x * y)


def test_opens_on_the_course_example():
    at = run()
    assert at.text_input(key="playground:expr").value == "log(xy)+exp(xy)"
    assert [n.label for n in at.number_input] == ["x", "y"]
    data = player_data(at)
    assert data["deck"]["title"] == "log(xy)+exp(xy)"
    assert data["options"]["step"] == 0
    # 4 operations forward, 6 nodes entered and finished plus one revisit, 6 backward steps
    assert len(data["deck"]["frames"]) == 1 + 4 + 13 + 6


def test_gradient_check_matches_the_hand_derived_partials():
    at = run({"expr": "log(xy)+exp(xy)", "x": "1.5", "y": "0.5"})
    table = at.dataframe[0].value
    dx, dy = expected_gradient(1.5, 0.5)
    backprop = dict(zip(table["variable"], table["backpropagation"], strict=False))
    assert backprop["x"] == pytest.approx(dx, rel=1e-12)
    assert backprop["y"] == pytest.approx(dy, rel=1e-12)
    central = dict(zip(table["variable"], table["central difference"], strict=False))
    assert central["x"] == pytest.approx(dx, rel=1e-6)


def test_typing_a_function_rebuilds_inputs_diagram_and_link():
    at = run()
    at.text_input(key="playground:expr").set_value("sin(x^2)").run()
    assert not at.exception
    assert [n.label for n in at.number_input] == ["x"]
    at.number_input[0].set_value(3.0).run()
    data = player_data(at)
    assert data["deck"]["title"] == "sin(x^2)"
    last = data["deck"]["frames"][-1]["html"]
    assert "−5.467" in plain(last)  # d/dx sin(x²) at 3 = 6 cos 9
    assert at.query_params["expr"] == "sin(x^2)"
    assert at.query_params["x"] == "3"


def test_implicit_multiplication_is_read_as_a_product():
    at = run({"expr": "5x+3", "x": "1"})
    frames = player_data(at)["deck"]["frames"]
    assert plain(frames[2]["html"]).endswith("=5+3=8")  # 5x + 3 at x = 1 is 8, not 5


def test_choosing_an_example_sets_function_and_values():
    at = run()
    at.selectbox(key="playground:example").select("sigmoid(w x + b)").run()
    assert not at.exception
    assert at.text_input(key="playground:expr").value == "sigmoid(w x + b)"
    assert {n.label: n.value for n in at.number_input} == {"w": 2.0, "x": -1.0, "b": 0.5}
    assert player_data(at)["deck"]["title"] == "sigmoid(w x + b)"


def test_a_link_reproduces_function_values_and_step():
    at = run({"expr": "log(xy)+exp(xy)", "x": "1", "y": "2", "step": "12"})
    assert {n.label: n.value for n in at.number_input} == {"x": 1.0, "y": 2.0}
    assert player_data(at)["options"]["step"] == 12
    # The page writes the same state back; its link to the function holds the function and
    # values (the player keeps the step in the address and copies it with its own button).
    assert at.query_params["step"] == "12"
    at.session_state["playground:link-open"] = True  # the link is written when it is opened
    at.run()
    link = next(c.value for c in at.code if c.value.startswith("http"))
    query = parse_qs(urlparse(link).query)
    assert query == {"expr": ["log(xy)+exp(xy)"], "x": ["1"], "y": ["2"]}


def test_a_step_past_the_end_shows_the_last_step_and_says_so():
    at = run({"expr": "x^2", "x": "1", "step": "999"})
    data = player_data(at)
    assert data["options"]["step"] == len(data["deck"]["frames"]) - 1
    assert "step=999 is past the last step" in at.warning[0].value


def test_mode_eps_and_tree_come_from_the_link():
    at = run(
        {
            "expr": "log(xy)+exp(xy)",
            "x": "1",
            "y": "2",
            "mode": "numerical",
            "eps": "0.001",
            "tree": "true",
        }
    )
    data = player_data(at)
    assert data["deck"]["local"] == "numerical"
    # The tree draws x·y once per use: two × boxes instead of one.
    multiply_boxes = sum(
        1
        for look in data["deck"]["frames"][0]["patch"].values()
        if look["texts"] and look["texts"][0] == "×"
    )
    assert multiply_boxes == 2
    assert "central difference" in data["deck"]["frames"][-3]["html"]
    assert at.query_params["mode"] == "numerical"
    assert at.query_params["tree"] == "true"


def test_a_parse_error_points_at_the_problem_and_keeps_the_last_diagram_dimmed():
    at = run()
    at.text_input(key="playground:expr").set_value("log(xy").run()
    assert not at.exception
    assert "never closed" in at.error[0].value
    assert any(c.value == "log(xy\n   ^" for c in at.code)
    # The last good diagram stays, in the dimmed container.
    assert player_data(at)["deck"]["title"] == "log(xy)+exp(xy)"
    assert any("last function that worked" in c.value for c in at.caption)


@pytest.mark.parametrize(
    "params, mentioned",
    [
        ({"x": "abc"}, "x"),
        ({"x": "nan"}, "x"),
        ({"step": "-3"}, "step"),
        ({"mode": "magic"}, "mode"),
        ({"eps": "0"}, "eps"),
    ],
)
def test_malformed_link_values_are_explained_not_raised(params, mentioned):
    at = run({"expr": "log(xy)+exp(xy)", "y": "2", **params})
    warning = " ".join(w.value for w in at.warning)
    assert f"The link's {mentioned}" in warning


def test_an_unreadable_function_in_the_link_is_an_error_message():
    at = run({"expr": "sinn(x)"})
    assert "did you mean sin?" in at.error[0].value


def test_a_link_with_no_diagram_to_show_opens_with_its_examples():
    # No player, so no run after its diagram: the first run draws the Examples box itself.
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["expr"] = "sinn(x)"
    at.run()
    assert not at.exception
    assert "did you mean sin?" in at.error[0].value
    assert not at.get("bidi_component")
    at.selectbox(key="playground:example").select("sin(x^2)").run()
    assert not at.exception and not at.error
    assert at.text_input(key="playground:expr").value == "sin(x^2)"
    assert player_data(at)["deck"]["title"] == "sin(x^2)"


def test_presenter_mode_shows_only_the_player_and_a_way_out():
    at = run()
    at.toggle(key="presenter-mode").set_value(True).run()
    assert not at.exception
    assert at.query_params["present"] == "true"
    assert not at.text_input  # no inputs in presenter mode
    assert player_data(at)["options"]["present"] is True
    at.button[0].click().run()  # "Exit presenter mode"
    assert "present" not in at.query_params
    assert at.text_input(key="playground:expr").value == "log(xy)+exp(xy)"


def test_predict_each_step_asks_before_revealing_and_checks():
    at = run({"expr": "sin(x^2)", "x": "3"})
    at.toggle(key="playground:predict").set_value(True).run()
    assert not at.exception
    assert at.query_params["predict"] == "true"
    # First question: what sin sends back to v₃, with the player just before that step.
    data = player_data(at)
    first_backward = next(
        i for i, f in enumerate(data["deck"]["frames"]) if f["phase"] == "backward"
    )
    assert data["options"]["step"] == first_backward - 1
    assert "What does it send to" in " ".join(m.value for m in at.markdown)
    # A wrong answer is marked wrong and the right one shown: cos(9) = −0.9111.
    at.number_input(
        key=next(k for k in at.session_state if str(k).startswith("playground:guess:"))
    ).set_value(5.0)
    at.button[0].click().run()  # Check (the form's submit button)
    assert "the answer is −0.91113" in at.error[0].value
    assert player_data(at)["options"]["step"] == first_backward
    # Next: the second question, what ^ sends to x: −0.9111 · 6 = −5.4668.
    at.button(
        key=next(k for k in at.session_state if str(k).startswith("playground:next:"))
    ).click().run()
    assert at.query_params["q"] == "2"
    field = next(
        k
        for k in at.session_state
        if str(k).startswith("playground:guess:") and at.session_state[k] is None
    )
    at.number_input(key=field).set_value(-5.4668)
    at.button[0].click().run()
    assert "Right" in at.success[0].value


def test_the_function_is_shown_as_read_with_a_note_where_readings_differ():
    at = run({"expr": "1/2x + x/yz", "x": "1", "y": "2", "z": "3"})
    caption = next(c.value for c in at.caption if c.value.startswith("Read as"))
    seen = re.sub(r"\\(.)", r"\1", caption)
    assert "Read as ((1/2)·x) + ((x/y)·z)" in seen
    assert "1/2x is read as (1/2)·x" in seen and "x/yz is read as (x/y)·z" in seen


def test_a_long_reading_is_folded_and_its_notes_stay_in_view():
    # 60 terms "k/2x": each read as (k/2)·x, with the note saying so; read in full, the
    # function runs to over 800 characters, which would push the diagram off the first screen.
    text = "+".join(f"{k}/2x" for k in range(1, 61))
    at = run({"expr": text})
    read = engine.read_as(engine.parse(text))
    assert len(read) > 800
    (folded,) = [e for e in at.expander if e.label.startswith("Read as")]
    assert f"{len(read):,} characters" in folded.label
    assert re.sub(r"\\(.)", r"\1", folded.caption[0].value) == read
    assert not [c for c in at.caption if c.value.startswith("Read as")]
    notes = next(c.value for c in at.caption if c.value.startswith("Note:"))
    assert "1/2x is read as (1/2)·x" in re.sub(r"\\(.)", r"\1", notes)


def test_a_new_value_keeps_the_step():
    at = run({"expr": "log(xy)+exp(xy)", "x": "1", "y": "2", "step": "21"})
    at.number_input(key="playground:value:y").set_value(3.0).run()
    assert player_data(at)["options"]["step"] == 21
    at.segmented_control(key="playground:mode").set_value("numerical").run()
    assert player_data(at)["options"]["step"] == 21
    at.text_input(key="playground:expr").set_value("sin(x^2)").run()
    assert player_data(at)["options"]["step"] == 0


def test_gradient_check_names_the_kink_of_relu_at_zero():
    at = run({"expr": "relu(x)", "x": "0"})
    table = at.dataframe[0].value
    # relu at 0: the engine's convention 0, central difference the average slope 0.5
    assert list(table["backpropagation"]) == [0.0]
    assert list(table["central difference"]) == pytest.approx([0.5])
    why = [t.value for t in at.text if t.value.startswith("Why they differ")]
    assert len(why) == 1 and "not differentiable" in why[0] and "central difference" in why[0]


def test_gradient_check_gives_no_reason_where_they_agree():
    at = run({"expr": "log(xy)+exp(xy)", "x": "1", "y": "2"})
    assert not [t.value for t in at.text if t.value.startswith("Why they differ")]
