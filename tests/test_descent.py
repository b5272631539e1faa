"""Gradient descent on a typed loss: the step's arithmetic, and training that stops with a
reason where the numbers run away."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest

import engine
from engine.descent import MAX_STEPS, Update, gradient_step, train

DEFAULT = "(sigmoid(2w + b) - 1)^2 + (sigmoid(-w + b))^2"


def by_hand(w: float, b: float) -> float:
    def s(z: float) -> float:
        return 1 / (1 + math.exp(-z))

    return (s(2 * w + b) - 1) ** 2 + s(-w + b) ** 2


def central(f, point: dict[str, float], name: str, eps: float = 1e-6) -> float:
    up, down = dict(point), dict(point)
    up[name] += eps
    down[name] -= eps
    return (f(**up) - f(**down)) / (2 * eps)


def test_the_update_reads_as_on_the_blackboard() -> None:
    assert (
        Update("w", 0.5, -0.21, 0.1, 0.521).text()
        == "w ← w − lr · ∂L/∂w = 0.5 − 0.1 · (−0.21) = 0.521"
    )


def test_one_step_moves_against_the_gradient_and_lowers_the_loss() -> None:
    start = {"w": 0.5, "b": 0.0}
    step = gradient_step(engine.parse(DEFAULT), start, 0.5)
    assert step.loss == pytest.approx(by_hand(**start), rel=1e-12)
    for name in start:
        slope = central(by_hand, start, name)
        assert step.gradient[name] == pytest.approx(slope, rel=1e-6)
        assert step.after[name] == pytest.approx(start[name] - 0.5 * slope, rel=1e-6)
    assert step.loss_after == pytest.approx(by_hand(**step.after), rel=1e-12)
    assert step.loss_after < step.loss and not step.grew


def test_training_keeps_lowering_the_loss_with_a_small_rate() -> None:
    run = train(engine.parse(DEFAULT), {"w": 0.5, "b": 0.0}, 0.5, 50)
    assert run.stop is None and len(run.steps) == 50
    assert all(b < a for a, b in pairwise(run.losses))
    assert run.path[-1] == run.steps[-1].after and not run.growing()


def test_too_large_a_rate_overshoots_and_is_stopped_at_inf() -> None:
    # Along b the bowl's curvature is 8: a rate above 2/8 makes every step overshoot further.
    bowl = engine.parse("(w - 1)^2 + 4(b + 2)^2")
    run = train(bowl, {"w": 0.0, "b": 0.0}, 0.3, 5)
    assert run.growing() and run.stop is None
    assert train(bowl, {"w": 0.0, "b": 0.0}, 0.2, 5).growing() is False
    far = train(bowl, {"w": 0.0, "b": 0.0}, 0.3, MAX_STEPS)
    assert far.stop is not None and "inf" in far.stop.message
    assert len(far.steps) == far.stop.step < MAX_STEPS
    assert all(math.isfinite(v) for v in far.steps[-1].before.values())


def test_leaving_the_domain_stops_with_nan() -> None:
    # h = log(xy) + exp(xy) falls as xy falls to 0, and past it log is undefined.
    run = train(engine.parse("log(xy)+exp(xy)"), {"x": 1.0, "y": 2.0}, 0.01, MAX_STEPS)
    assert run.stop is not None and "nan" in run.stop.message
    assert engine.OPS["log"].domain in run.stop.message  # and where, from the ops table
    assert math.isnan(run.losses[-1]) and all(math.isfinite(v) for v in run.losses[:-1])


def test_a_start_outside_the_domain_takes_no_step() -> None:
    run = train(engine.parse("log(xy)"), {"x": -1.0, "y": 2.0}, 0.1, 10)
    assert run.steps == () and run.stop is not None and run.stop.step == 0


def test_no_run_is_longer_than_the_limit() -> None:
    run = train(engine.parse("(w-1)^2"), {"w": 0.0}, 1e-9, MAX_STEPS * 10)
    assert len(run.steps) == MAX_STEPS


def test_a_run_continued_is_the_run_taken_at_once() -> None:
    loss = engine.parse(DEFAULT)
    whole = train(loss, {"w": 0.5, "b": 0.0}, 0.5, 30)
    part = train(loss, {"w": 0.5, "b": 0.0}, 0.5, 10)
    assert train(loss, {"w": 0.5, "b": 0.0}, 0.5, 30, previous=part) == whole
    assert train(loss, {"w": 0.5, "b": 0.0}, 0.5, 10, previous=whole) == part
    other = train(loss, {"w": 0.5, "b": 0.0}, 0.4, 10, previous=part)  # another rate
    assert other == train(loss, {"w": 0.5, "b": 0.0}, 0.4, 10) and other != part
    bowl = engine.parse("(w - 1)^2 + 4(b + 2)^2")
    stopped = train(bowl, {"w": 0.0, "b": 0.0}, 0.3, MAX_STEPS)
    assert train(bowl, {"w": 0.0, "b": 0.0}, 0.3, MAX_STEPS, previous=stopped) == stopped
