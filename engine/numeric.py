"""Numerical derivatives, as the course computes them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .ops import Number


def central_difference(f: Callable[[Number], Number], x: Number, eps: Number = 1e-4) -> Number:
    """(f(x + eps) - f(x - eps)) / (2 eps): the slope of the secant through x ± eps.

    Its error falls as eps² until round-off, which grows as 1/eps, takes over.
    """
    with np.errstate(all="ignore"):
        return (f(x + eps) - f(x - eps)) / (2 * eps)


def forward_difference(f: Callable[[Number], Number], x: Number, eps: Number = 1e-4) -> Number:
    """(f(x + eps) - f(x)) / eps: one-sided, so its error falls only as eps."""
    with np.errstate(all="ignore"):
        return (f(x + eps) - f(x)) / eps
