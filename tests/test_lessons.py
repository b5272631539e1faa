"""The lesson pages, run headless with Streamlit's AppTest: their numbers, their links and their
answers to malformed links.

The step player is a browser component, opaque to AppTest; what a page hands it (the deck and
the step) is read from the component's data. Each page's own numbers are read from its
metrics, tables and text. Opening the pages in a real browser is in test_lessons_browser.py.
"""

from __future__ import annotations

import base64
import json
import math
import re

import numpy as np
import pytest
from conftest import component_data
from streamlit.testing.v1 import AppTest

APP = "../app.py"


def run(page: str, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def players(at: AppTest) -> list[dict]:
    return [component_data(c) for c in at.get("bidi_component")]


def read(markdown: str) -> str:
    """Markdown's text as a reader sees it: escapes undone, invisible word joiners dropped."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def warnings(at: AppTest) -> str:
    return read(" ".join(w.value for w in at.warning))


def number(text: str) -> float:
    return float(text.replace("−", "-"))


# -- central difference ------------------------------------------------------------------------


def test_central_difference_of_sin_at_1() -> None:
    at = run("central_difference")
    table = at.dataframe[0].value
    values = dict(zip(table["method"], table["f′(x)"], strict=False))
    assert values["exact, by autodiff"] == pytest.approx(math.cos(1.0), rel=1e-15)
    # eps = 1e-4: the central difference is off by about eps²/6, the forward one by eps/2.
    central_error = abs(values["central difference"] - math.cos(1.0))
    forward_error = abs(values["forward difference"] - math.cos(1.0))
    assert 1e-10 < central_error < 1e-8
    assert 1e-5 < forward_error < 1e-4
    assert at.query_params["expr"] == "sin(x)" and at.query_params["eps"] == "1e-4"


SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹−", "-0123456789-")


def power(text: str) -> float:
    """1.1·10⁻⁶ (or 10⁻⁶, or 1) as a number."""
    mantissa, ten, exponent = text.rpartition("10")
    if not ten or not exponent:
        return float(text)
    return float(mantissa.rstrip("·") or 1) * 10.0 ** int(exponent.translate(SUPERSCRIPT))


def test_the_error_of_central_difference_is_a_v_with_its_bottom_between_1e_7_and_1e_3() -> None:
    at = run("central_difference", {"expr": "sin(x)", "x": "1"})
    table = at.dataframe[1].value
    eps = [power(e) for e in table["ε"]]
    assert eps == [10.0**-k for k in range(13)]
    errors = list(table["central difference error"])
    best = errors.index(min(errors))
    assert 1e-7 <= eps[best] <= 1e-3
    # Falling to the bottom, rising after it: a V.
    assert errors[0] > errors[best] * 1e3 and errors[-1] > errors[best] * 1e3
    assert all(a > b for a, b in zip(errors[:best], errors[1 : best + 1], strict=False))


def array(data) -> np.ndarray:
    """A Plotly array: a list, or its binary form {dtype, bdata}."""
    if isinstance(data, dict):
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
    return np.array(data, dtype=float)


def test_the_text_and_the_chart_name_the_same_best_eps() -> None:
    at = run("central_difference", {"expr": "sin(x)", "x": "1"})
    said = next(
        re.search(r"best at ε ≈ (\S+)\.", m.value) for m in at.markdown if "best at ε" in m.value
    ).group(1)
    chart = json.loads(at.get("plotly_chart")[1].proto.spec)
    labels = [a["text"] for a in chart["layout"]["annotations"] if "best ε" in a["text"]]
    drawn = [
        re.sub(
            r"<sup>(.*?)</sup>",
            lambda m: m.group(1).translate(str.maketrans("−-0123456789", "⁻⁻⁰¹²³⁴⁵⁶⁷⁸⁹")),
            t,
        ).split("≈ ")[1]
        for t in labels
    ]
    # The central difference's label is the second (forward's comes first), and the same text.
    assert said == drawn[1]
    # The best ε is where the drawn central-difference curve is lowest.
    central = next(t for t in chart["data"] if t.get("name") == "central difference")
    x, y = array(central["x"]), array(central["y"])
    lowest = x[np.nanargmin(y)]
    assert power(said) == pytest.approx(lowest, rel=0.05)
    # Math on the page writes powers of ten, never 1e-04 with its italic e.
    assert not any(re.search(r"\de-\d", latex.value) for latex in at.latex)


def test_forward_and_central_differ_in_colour_and_dash() -> None:
    at = run("central_difference")
    chart = json.loads(at.get("plotly_chart")[1].proto.spec)
    lines = {
        t["name"]: t["line"]
        for t in chart["data"]
        if t.get("name") in ("forward difference", "central difference")
    }
    forward, central = lines["forward difference"], lines["central difference"]
    assert forward.get("dash", "solid") != central.get("dash", "solid")

    def rgb(colour: str) -> tuple[int, ...]:
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))

    def grey(colour: str) -> float:  # relative luminance, as printed in grey
        return sum(
            w * (c / 255) ** 2.2
            for w, c in zip((0.2126, 0.7152, 0.0722), rgb(colour), strict=False)
        )

    # Hues apart (not two oranges), and apart in grey as well.
    a, b = rgb(forward["color"]), rgb(central["color"])
    assert sum(abs(x - y) for x, y in zip(a, b, strict=False)) > 150
    assert abs(grey(forward["color"]) - grey(central["color"])) > 0.1


def test_central_difference_link_round_trip() -> None:
    at = run("central_difference", {"expr": "exp(t)", "t": "0.5", "eps": "1e-6"})
    assert at.text_input(key="central-difference:expr").value == "exp(t)"
    assert at.number_input(key="central-difference:x").value == 0.5
    assert at.select_slider(key="central-difference:eps").value == 1e-6
    assert {k: at.query_params[k] for k in at.query_params} == {
        "expr": "exp(t)",
        "t": "0.5",
        "eps": "1e-6",
    }
    table = at.dataframe[0].value
    assert dict(zip(table["method"], table["f′(x)"], strict=False))[
        "exact, by autodiff"
    ] == pytest.approx(math.exp(0.5))


@pytest.mark.parametrize(
    "params, mentioned",
    [
        ({"x": "abc"}, "x"),
        ({"eps": "0"}, "eps"),
        ({"eps": "3e-5"}, "eps"),
    ],
)
def test_central_difference_malformed_links_warn(params, mentioned) -> None:
    at = run("central_difference", params)
    assert f"The link's {mentioned}" in warnings(at)


def test_central_difference_refuses_two_variables_in_words() -> None:
    at = run("central_difference", {"expr": "x y"})
    assert "one variable" in at.error[0].value


# -- chain rule --------------------------------------------------------------------------------


def test_chain_rule_numbers_as_in_the_course() -> None:
    at = run("chain_rule")
    shown = metrics(at)
    assert shown["Forward: f(x)"] == "0.4121"
    assert shown["Backward: df/dx"] == "−5.4668"
    infos = " ".join(i.value for i in at.info)
    assert "**sin** receives d_out = 1.0000, multiplies by its local derivative −0.9111" in infos
    assert (
        "**square** receives d_out = −0.9111, multiplies by its local derivative 6.0000 "
        "and sends back −5.4668" in infos
    )
    # Each box's code, from the op table: square symbolic, sine by central difference.
    code = "\n".join(c.value for c in at.code)
    assert "class Square:" in code and "return d_out * (2 * self.z)" in code
    assert "up, down = sin(z + eps), sin(z - eps)" in code
    (deck,) = players(at)
    assert deck["deck"]["title"] == "sin(x^2)"
    assert "central difference" in deck["deck"]["frames"][-3]["html"]  # sine, numerical
    assert at.query_params["outer_mode"] == "numerical"


def test_chain_rule_boxes_and_modes_can_change() -> None:
    at = run(
        "chain_rule",
        {
            "x": "0.5",
            "inner": "exp",
            "outer": "square",
            "inner_mode": "numerical",
            "outer_mode": "symbolic",
        },
    )
    shown = metrics(at)
    # f = exp(x)^2 = e^(2x): f' = 2 e^(2x)
    assert number(shown["Forward: f(x)"]) == pytest.approx(math.exp(1.0), abs=1e-4)
    assert number(shown["Backward: df/dx"]) == pytest.approx(2 * math.exp(1.0), abs=1e-4)
    assert players(at)[0]["deck"]["title"] == "exp(x)^2"
    at.selectbox(key="chain-rule:outer").select("log").run()
    assert not at.exception
    assert at.query_params["outer"] == "log"
    assert number(metrics(at)["Backward: df/dx"]) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize(
    "params, mentioned",
    [
        ({"x": "abc"}, "x"),
        ({"outer": "magic"}, "outer"),
        ({"inner_mode": "both"}, "inner_mode"),
        ({"step": "-2"}, "step"),
    ],
)
def test_chain_rule_malformed_links_warn(params, mentioned) -> None:
    at = run("chain_rule", params)
    assert f"The link's {mentioned}" in warnings(at)
    assert metrics(at)["Forward: f(x)"]  # the page still works


# -- backpropagation ---------------------------------------------------------------------------


@pytest.mark.parametrize("x, y, shown", [(1.0, 2.0, ("1", "2")), (0.5, 1.5, ("0.5", "1.5"))])
def test_backpropagation_equals_the_hand_derived_partials(x, y, shown) -> None:
    at = run("backpropagation", {"x": str(x), "y": str(y)})
    table = at.dataframe[0].value
    by_hand = dict(zip(table["partial"], table["formula's value"], strict=False))
    by_backprop = dict(zip(table["partial"], table["backpropagation"], strict=False))
    assert by_hand["∂h/∂x"] == pytest.approx(1 / x + y * math.exp(x * y), rel=1e-12)
    assert by_hand["∂h/∂y"] == pytest.approx(1 / y + x * math.exp(x * y), rel=1e-12)
    for name in by_hand:
        assert by_backprop[name] == pytest.approx(by_hand[name], rel=1e-12)
    assert (at.query_params["x"], at.query_params["y"]) == shown
    assert len(players(at)) == 1


def test_backpropagation_link_round_trip_and_bad_values() -> None:
    at = run("backpropagation", {"x": "1.5", "y": "0.5", "step": "7"})
    assert (at.query_params["x"], at.query_params["y"], at.query_params["step"]) == (
        "1.5",
        "0.5",
        "7",
    )
    assert players(at)[0]["options"]["step"] == 7
    at = run("backpropagation", {"x": "one"})
    assert "The link's x" in warnings(at)


def test_backpropagation_outside_the_domain_says_so() -> None:
    at = run("backpropagation", {"x": "-1", "y": "2"})
    assert "xy > 0" in warnings(at)


# -- topological sort --------------------------------------------------------------------------


def test_the_wrong_order_gives_a_different_gradient() -> None:
    at = run("topological_sort")
    values = [(m.label, number(m.value)) for m in at.metric]
    wrong, right = dict(values[:2]), dict(values[2:])
    assert right["∂f/∂x"] == pytest.approx(1 + 2 * math.exp(2), rel=1e-5)
    assert wrong["∂f/∂x"] != pytest.approx(right["∂f/∂x"], rel=1e-3)
    assert wrong["∂f/∂y"] != pytest.approx(right["∂f/∂y"], rel=1e-3)
    assert "× (v₃) fired too early" in at.error[0].value
    table = at.dataframe[0].value
    assert "exp (v₅)" in list(table["users that had not sent"])
    # Two players: the search, and the backward pass in the order chosen.
    search, chosen = players(at)
    assert search["deck"]["frames"][search["options"]["step"]]["phase"] == "order"
    assert any(
        "bp-warn" in look["classes"]
        for frame in chosen["deck"]["frames"]
        for look in frame["patch"].values()
    )


def test_breadth_first_works_here_and_an_own_order_can_break() -> None:
    at = run("topological_sort", {"wrong": "breadth-first"})
    assert "This order works" in at.success[0].value
    at = run("topological_sort", {"wrong": "own", "order": "3,6,4,5"})  # × first, then +
    assert at.multiselect(key="topological-sort:chosen").value == [2, 5, 3, 4]
    assert "fired too early" in at.error[0].value
    assert at.query_params["order"] == "3,6,4,5" and at.query_params["wrong"] == "own"


def test_an_own_order_is_what_the_picker_holds_and_an_incomplete_one_is_no_order() -> None:
    at = run("topological_sort", {"wrong": "own"})
    # An empty picker: nothing is reported as working, nothing placed for the student.
    assert at.multiselect(key="topological-sort:chosen").value == []
    assert not at.success and not at.error
    assert "4 of 4 still to place" in at.info[0].value
    # Half an order: the same, with what is left named.
    at.multiselect(key="topological-sort:chosen").select(5).select(2).run()
    assert "2 of 4 still to place" in at.info[0].value and not at.success
    assert at.query_params["order"] == "6,3"
    # The whole order: the page runs exactly the picker's order (+, ×, log, exp breaks).
    at.multiselect(key="topological-sort:chosen").select(3).select(4).run()
    assert "× (v₃) fired too early" in at.error[0].value
    table = at.dataframe[0].value
    assert list(table["node"])[:4] == ["+ (v₆)", "× (v₃)", "log (v₄)", "exp (v₅)"]


@pytest.mark.parametrize(
    "params, mentioned",
    [
        ({"order": "3,3"}, "order"),
        ({"order": "x"}, "order"),
        ({"wrong": "random"}, "wrong"),
        ({"expr": "x^2"}, "expr"),
    ],
)
def test_topological_sort_malformed_links_warn(params, mentioned) -> None:
    at = run("topological_sort", {"wrong": "own", **params} if "wrong" not in params else params)
    assert f"The link's {mentioned}" in warnings(at)


# -- forward mode ------------------------------------------------------------------------------


def test_forward_mode_on_colahs_example() -> None:
    at = run("forward_mode")
    shown = metrics(at)
    assert shown["Forward mode: ∂f/∂b"] == "5"
    assert shown["Reverse mode: ∂f/∂b"] == "5"
    forward, reverse = players(at)
    assert forward["deck"]["title"] == "(a+b)(b+1) · forward mode, ∂/∂b"
    assert len(forward["deck"]["frames"]) == 4
    table = at.table[0].value
    assert list(table["forward mode (one pass each)"]) == ["2", "5"]
    assert list(table["reverse mode (one pass for all)"]) == ["2", "5"]
    text = " ".join(m.value for m in at.markdown)
    assert "**2 forward-mode passes**" in text and "1 backward pass" in text


def test_forward_mode_link_round_trip() -> None:
    at = run(
        "forward_mode", {"expr": "log(xy)+exp(xy)", "x": "1", "y": "2", "wrt": "y", "step": "2"}
    )
    shown = metrics(at)
    assert number(shown["Forward mode: ∂f/∂y"]) == pytest.approx(0.5 + math.exp(2), rel=1e-5)
    assert (at.query_params["wrt"], at.query_params["step"]) == ("y", "2")
    assert players(at)[0]["options"]["step"] == 2


@pytest.mark.parametrize(
    "params, mentioned",
    [
        ({"wrt": "z"}, "wrt"),
        ({"a": "nan"}, "a"),
        ({"step": "x"}, "step"),
    ],
)
def test_forward_mode_malformed_links_warn(params, mentioned) -> None:
    at = run("forward_mode", params)
    assert f"The link's {mentioned}" in warnings(at)
    assert metrics(at)["Forward mode: ∂f/∂b"] == "5"


# -- practice ----------------------------------------------------------------------------------


def answer(at: AppTest, value: float) -> AppTest:
    next(n for n in at.number_input if n.label == "Your answer").set_value(value)
    at.button[0].click().run()  # the form's Check button
    assert not at.exception
    return at


def test_practice_scores_right_and_wrong_answers() -> None:
    at = run("practice", {"expr": "sin(x^2)", "x": "3"})
    assert "Question 1 of 2" in [h.value for h in at.subheader][0]
    # sin fires with d_out 1 and sends cos(9) to the square.
    (deck,) = players(at)
    assert deck["options"]["step"] == deck["deck"]["phases"][2]["first"] - 1  # before it
    answer(at, round(math.cos(9.0), 3))
    assert at.success and "Right" in at.success[0].value
    assert metrics(at)["Score this session"] == "1 / 1"
    (deck,) = players(at)
    assert deck["options"]["step"] == deck["deck"]["phases"][2]["first"]  # revealed
    next(b for b in at.button if b.label == "Next question").click().run()
    assert at.query_params["q"] == "2"
    answer(at, 5.0)  # the square sends cos(9)·2x = −5.4668
    assert "the answer is −5.46678" in at.error[0].value
    # The arithmetic, from the engine: d_out times the square's local derivative.
    arithmetic = next(m.value for m in at.markdown if m.value.startswith("To x:"))
    assert "-0.9111" in arithmetic and "-5.467" in arithmetic
    assert metrics(at)["Score this session"] == "1 / 2"


def prompt(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.endswith("?"))


def test_practice_asks_for_gradients_with_fan_out() -> None:
    at = run("practice", {"expr": "log(xy)+exp(xy)", "x": "1", "y": "2", "ask": "grads"})
    assert prompt(at) == "What d_out does **exp (v₅)** fire with?"
    answer(at, 1.0)
    assert "Right" in at.success[0].value
    # The product fans out: its d_out is 1/(xy) from log plus e^(xy) from exp.
    at = run("practice", {"expr": "log(xy)+exp(xy)", "x": "1", "y": "2", "ask": "grads", "q": "3"})
    assert prompt(at) == "What d_out does **× (v₃)** fire with?"
    answer(at, 7.389)  # forgot log's share
    assert f"the answer is {0.5 + math.exp(2):.6g}" in at.error[0].value
    arithmetic = " ".join(m.value for m in at.markdown)
    assert "fans out" in arithmetic and "0.5" in arithmetic and "7.389" in arithmetic


def test_practice_link_round_trip_and_bad_values() -> None:
    at = run("practice", {"expr": "x*x", "x": "3", "ask": "sends", "q": "2"})
    assert at.query_params["q"] == "2"
    assert "Question 2 of 2" in at.subheader[0].value
    at = run("practice", {"expr": "x*x", "x": "3", "ask": "everything", "q": "zero"})
    text = warnings(at)
    assert "The link's ask" in text and "The link's q" in text


def test_practice_on_a_typed_function_without_questions() -> None:
    at = run("practice", {"expr": "2"})
    assert "Nothing to predict" in at.info[0].value


# -- a link's problems ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page, params, change",
    [
        ("chain_rule", {"x": "abc"}, lambda at: at.number_input(key="chain-rule:x").set_value(2.0)),
        (
            "backpropagation",
            {"x": "one"},
            lambda at: at.number_input(key="backpropagation:value:y").set_value(0.5),
        ),
        (
            "topological_sort",
            {"wrong": "random"},
            lambda at: at.radio(key="topological-sort:kind").set_value("breadth-first"),
        ),
        (
            "forward_mode",
            {"wrt": "z"},
            lambda at: at.number_input(key="forward-mode:value:a").set_value(3.0),
        ),
        (
            "practice",
            {"ask": "everything"},
            lambda at: at.radio(key="practice:ask").set_value("grads"),
        ),
        (
            "central_difference",
            {"eps": "3e-5"},
            lambda at: at.number_input(key="central-difference:x").set_value(2.0),
        ),
    ],
)
def test_a_links_problems_stay_until_the_student_changes_something(page, params, change):
    at = run(page, params)
    said = warnings(at)
    assert "This link was partly unreadable" in said
    for _ in range(2):  # reruns such as the player's step reports change nothing the link holds
        at.run()
        assert not at.exception
        assert warnings(at) == said
    change(at).run()
    assert not at.exception
    assert "partly unreadable" not in warnings(at)


def test_practice_holds_the_player_at_the_open_question() -> None:
    at = run("practice", {"expr": "sin(x^2)", "x": "3"})
    (data,) = players(at)
    before = data["deck"]["phases"][2]["first"] - 1
    assert data["options"]["step"] == before and data["options"]["limit"] == before
    answer(at, 0.0)
    (data,) = players(at)
    assert data["options"]["limit"] == before + 1  # answered: its step, and no further


@pytest.mark.parametrize(
    "page, params, change",
    [
        (
            "backpropagation",
            {"x": "1", "y": "2", "step": "21"},
            lambda at: at.number_input(key="backpropagation:value:y").set_value(3.0),
        ),
        (
            "chain_rule",
            {"step": "9"},
            lambda at: at.segmented_control(key="chain-rule:outer_mode").set_value("symbolic"),
        ),
        (
            "forward_mode",
            {"step": "3", "rstep": "9"},
            lambda at: at.number_input(key="forward-mode:value:a").set_value(3.0),
        ),
    ],
)
def test_a_new_value_or_mode_keeps_the_step(page, params, change):
    at = run(page, params)
    before = [p["options"]["step"] for p in players(at)]
    change(at).run()
    assert not at.exception
    assert [p["options"]["step"] for p in players(at)] == before


def test_another_picture_starts_over() -> None:
    at = run("chain_rule", {"step": "9"})
    at.selectbox(key="chain-rule:outer").select("log").run()
    assert players(at)[0]["options"]["step"] == 0
