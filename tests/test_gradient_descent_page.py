"""The gradient-descent lesson in Streamlit's AppTest: a step lowers the loss and shows its
arithmetic, too large a rate is called out, nan/inf stops training, the state is in the link."""

from __future__ import annotations

import math
import re

import pytest
from test_lessons import players, run, warnings

DEFAULT = "(sigmoid(2w + b) - 1)^2 + (sigmoid(-w + b))^2"
UPDATE = re.compile(r"(\w+) ← \1 − lr · ∂L/∂\1 = (\S+) − (\S+) · \(?([^)\s]+)\)? = (\S+)")


def by_hand(w: float, b: float) -> float:
    def s(z: float) -> float:
        return 1 / (1 + math.exp(-z))

    return (s(2 * w + b) - 1) ** 2 + s(-w + b) ** 2


def number(text: str) -> float:
    return float(text.replace("−", "-"))


def loss(at) -> float:
    shown = [h.value for h in at.subheader if h.value.startswith("loss = ")]
    assert len(shown) == 1
    return number(shown[0].removeprefix("loss = "))


def steps(at) -> int:
    return int(next(t.value for t in at.text if t.value.startswith("step ")).split()[1])


def updates(at) -> dict[str, tuple[float, float, float, float]]:
    found = {
        m[0]: tuple(number(x) for x in m[1:]) for c in at.code for m in UPDATE.findall(c.value)
    }
    assert found
    return found


def test_a_gradient_step_lowers_the_loss_and_shows_its_arithmetic() -> None:
    at = run("gradient_descent")
    before = loss(at)
    assert before == pytest.approx(by_hand(0.5, 0.0), rel=1e-5) and steps(at) == 0
    next(b for b in at.button if b.label == "Take a gradient step").click().run()
    assert not at.exception
    after = loss(at)
    assert after < before and steps(at) == 1
    shown = updates(at)
    assert set(shown) == {"w", "b"}
    start = {"w": 0.5, "b": 0.0}
    for name, (old, lr, gradient, new) in shown.items():
        eps = 1e-6
        up, down = dict(start), dict(start)
        up[name] += eps
        down[name] -= eps
        slope = (by_hand(**up) - by_hand(**down)) / (2 * eps)  # central difference, by hand
        assert old == start[name] and lr == 0.5
        assert gradient == pytest.approx(slope, rel=1e-3, abs=1e-4)  # four digits shown
        assert new == pytest.approx(old - lr * slope, rel=1e-3, abs=1e-4)
    assert after == pytest.approx(
        by_hand(0.5 - 0.5 * shown["w"][2], 0.0 - 0.5 * shown["b"][2]), rel=1e-3
    )
    assert at.query_params["steps"] == "1" and at.query_params["lr"] == "0.5"


def test_the_player_is_on_the_loss_graph_and_can_be_folded_away() -> None:
    at = run("gradient_descent")
    next(b for b in at.button if b.label == "Take a gradient step").click().run()
    [shown] = players(at)
    assert shown["deck"]["title"] == DEFAULT and len(shown["deck"]["frames"]) > 10
    # Its backward pass ends in the gradient the update used, at the parameters before it.
    last = shown["deck"]["frames"][-1]["html"]
    for name, (_, _, gradient, _) in updates(at).items():
        assert f"{gradient:.4g}".replace("-", "−") in last, name
    at.toggle(key="gradient-descent:update-only").set_value(True).run()
    assert players(at) == [] and updates(at)


def test_too_large_a_rate_is_called_out() -> None:
    at = run(
        "gradient_descent",
        {"expr": "(w - 1)^2 + 4(b + 2)^2", "w": "0", "b": "0", "lr": "0.3", "steps": "3"},
    )
    assert "too large" in warnings(at) and "The loss grew" in warnings(at)
    calm = run(
        "gradient_descent",
        {"expr": "(w - 1)^2 + 4(b + 2)^2", "w": "0", "b": "0", "lr": "0.1", "steps": "3"},
    )
    assert "too large" not in warnings(calm)


@pytest.mark.parametrize(
    "params, word",
    [
        (
            {"expr": "(w - 1)^2 + 4(b + 2)^2", "w": "0", "b": "0", "lr": "0.3", "steps": "2000"},
            "inf",
        ),
        ({"expr": "log(xy)+exp(xy)", "x": "1", "y": "2", "lr": "0.01", "steps": "2000"}, "nan"),
    ],
)
def test_nan_or_inf_stops_training_with_a_message(params, word) -> None:
    at = run("gradient_descent", params)
    message = " ".join(e.value for e in at.error)
    assert "Training stopped after" in message and word in message
    assert 0 < steps(at) < 2000 and at.query_params["steps"] == str(steps(at))


def test_the_link_round_trip() -> None:
    params = {"expr": "(w - 1)^2 + 4(b + 2)^2", "w": "0.25", "b": "-1", "lr": "0.05", "steps": "7"}
    at = run("gradient_descent", params)
    assert at.text_input(key="gradient-descent:expr").value == params["expr"]
    assert at.number_input(key="gradient-descent:value:b").value == -1
    assert at.number_input(key="gradient-descent:lr").value == 0.05
    assert steps(at) == 7
    assert {k: at.query_params[k] for k in at.query_params} == params
    next(b for b in at.button if b.label == "Reset").click().run()
    assert steps(at) == 0 and at.query_params["steps"] == "0"


def test_train_turns_into_pause() -> None:
    at = run("gradient_descent")
    next(b for b in at.button if b.label == "Train").click().run()
    assert [b.label for b in at.button if b.label in ("Train", "Pause")] == ["Pause"]
    next(b for b in at.button if b.label == "Pause").click().run()
    assert [b.label for b in at.button if b.label in ("Train", "Pause")] == ["Train"]


@pytest.mark.parametrize(
    "params, said",
    [
        ({"lr": "abc"}, "The link's lr='abc' is not a number"),
        ({"steps": "-3"}, "The link's steps=-3 is below 0"),
    ],
)
def test_malformed_links_warn(params, said) -> None:
    assert said in warnings(run("gradient_descent", params))


def test_a_loss_without_parameters_or_that_does_not_parse_is_refused() -> None:
    assert "at least one parameter" in run("gradient_descent", {"expr": "2 + 3"}).error[0].value
    assert "Cannot use this loss" in run("gradient_descent", {"expr": "w +* 2"}).error[0].value


def test_the_presenter_view_keeps_the_step_and_its_update() -> None:
    at = run("gradient_descent", {"present": "true", "steps": "2"})
    assert not at.title and not at.text_input
    assert loss(at) < by_hand(0.5, 0.0) and steps(at) == 2
    [shown] = players(at)
    assert shown["options"]["present"] is True and updates(at)
    assert at.query_params["present"] == "true"
