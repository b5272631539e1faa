"""The example functions the pages offer, each with the point it opens at: one table, so an
example opens at the same point on every page that offers it."""

from __future__ import annotations

POINTS: dict[str, dict[str, float]] = {
    "log(xy)+exp(xy)": {"x": 1.0, "y": 2.0},
    "sin(x^2)": {"x": 3.0},
    "x^2": {"x": 1.0},
    "sigmoid(w x + b)": {"w": 2.0, "x": -1.0, "b": 0.5},
    "(a+b)(b+1)": {"a": 2.0, "b": 1.0},
    "2x + 3y": {"x": 1.0, "y": 1.0},
    "x*x": {"x": 3.0},
    "x/x": {"x": 3.0},
    "sin(x) + sin(x)^2": {"x": 0.5},
    "(sigmoid(2w + b) - 1)^2 + (sigmoid(-w + b))^2": {"w": 0.5, "b": 0.0},
    "(w - 1)^2 + 4(b + 2)^2": {"w": 0.0, "b": 0.0},
    "x^2 + x^y - 1/x": {"x": 1.5, "y": 2.0},
    "relu(x) + abs(y) + sqrt(x^2 + y^2)": {"x": 0.0, "y": 0.0},
}


def examples(*functions: str) -> dict[str, dict[str, float]]:
    """The examples a page offers, in its order, each with its point (a copy of it)."""
    return {function: dict(POINTS[function]) for function in functions}
