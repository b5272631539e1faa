"""Plots of a gradient-descent run: the loss against the step, and the loss's contour map over
two parameters with the path taken and the next step's arrow."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

import engine
from engine.descent import Run, gradient_step

from .plots import (
    EXACT_COLOR,
    FORWARD_COLOR,
    POINT_COLOR,
    STACKED_HEIGHT,
    UNDEFINED_BACKGROUND,
    _clean,
    _num,
    _style,
    add_arrow,
    contour_map,
)

PATH_COLOR = "#333333"


def loss_curve(run: Run) -> go.Figure:
    """The loss after each step; a log scale where it spans more than a hundredfold."""
    losses = _clean(run.losses)
    steps = list(range(len(losses)))
    fig = go.Figure(
        go.Scatter(
            x=steps,
            y=losses,
            mode="lines+markers" if len(steps) <= 60 else "lines",
            name="loss",
            uid="loss",
            line=dict(color=EXACT_COLOR, width=3),
            marker=dict(size=7),
            hovertemplate="step %{x}<br>loss = %{y:.6g}<extra></extra>",
        )
    )
    finite = losses[np.isfinite(losses)]
    log = (
        bool(finite.size)
        and float(finite.min()) > 0
        and float(finite.max()) > 100 * float(finite.min())
    )
    subtitle = (
        f"learning rate {_num(run.lr)}; {len(run.steps)} step"
        f"{'s' if len(run.steps) != 1 else ''}" + ("; log scale" if log else "")
    )
    _style(fig, "Loss after each step", subtitle)
    fig.update_xaxes(title_text="step", rangemode="tozero")
    fig.update_yaxes(title_text="loss", type="log" if log else "linear")
    return fig


def loss_contour(
    graph: engine.Graph, run: Run, x_var: str, y_var: str, points: int = 70
) -> go.Figure:
    """The loss over (x_var, y_var), other parameters at their current values, with the path
    the parameters took and the next step, −lr·∇L, as an arrow at the current point."""
    path = [p for p in run.path if math.isfinite(p[x_var]) and math.isfinite(p[y_var])]
    current = path[-1]
    xs_path = np.array([p[x_var] for p in path])
    ys_path = np.array([p[y_var] for p in path])
    step = gradient_step(graph, current, run.lr) if math.isfinite(run.losses[-1]) else None
    tip = (step.after[x_var], step.after[y_var]) if step else (current[x_var], current[y_var])
    tip_ok = all(math.isfinite(t) for t in tip)
    xs_all = np.append(xs_path, tip[0] if tip_ok else xs_path[-1])
    ys_all = np.append(ys_path, tip[1] if tip_ok else ys_path[-1])
    x_lo, x_hi = _window(xs_all)
    y_lo, y_hi = _window(ys_all)
    xs, ys = np.linspace(x_lo, x_hi, points), np.linspace(y_lo, y_hi, points)
    grid_x, grid_y = np.meshgrid(xs, ys)
    z = _clean(graph.evaluate({**current, x_var: grid_x, y_var: grid_y}))
    finite = z[np.isfinite(z)]
    levels = None
    if finite.size:
        lo, hi = np.percentile(finite, [1, 97])
        if hi > lo:
            levels = (lo, hi, (hi - lo) / 12)
    fig = go.Figure(contour_map(xs, ys, z, (x_var, y_var), "loss", levels))
    fig.add_trace(
        go.Scatter(
            x=xs_path,
            y=ys_path,
            mode="lines+markers",
            name="path taken",
            uid="path",
            line=dict(color=PATH_COLOR, width=2),
            marker=dict(size=6, color=PATH_COLOR),
            hovertemplate=f"{x_var} = %{{x:.4g}}<br>{y_var} = %{{y:.4g}}<extra>path</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[current[x_var]],
            y=[current[y_var]],
            mode="markers",
            name="now",
            uid="now",
            marker=dict(size=14, color=POINT_COLOR, line=dict(color="white", width=2)),
        )
    )
    notes = []
    if step is not None and tip_ok and tip != (current[x_var], current[y_var]):
        add_arrow(
            fig,
            (current[x_var], current[y_var]),
            tip,
            name="next step: −lr·∇L",
            uid="next",
            color=FORWARD_COLOR,
            width=4,
        )
        notes.append("the arrow is the next step, −lr·∇L, to scale")
    elif step is not None and tip == (current[x_var], current[y_var]):
        notes.append(f"∇L along {x_var} and {y_var} is 0 here: no step to take")
    others = [f"{p} = {_num(v)}" for p, v in current.items() if p not in (x_var, y_var)]
    if others:
        notes.append("other parameters held at " + ", ".join(others))
    if finite.size < z.size:
        notes.append("grey: loss undefined")
    _style(
        fig,
        f"The loss over ({x_var}, {y_var}) and the path",
        "; ".join(notes),
        height=STACKED_HEIGHT,
    )
    # The legend under the map, where it covers neither the path nor the subtitle.
    fig.update_layout(
        plot_bgcolor=UNDEFINED_BACKGROUND,
        legend=dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0),
        margin=dict(b=110),
    )
    fig.update_xaxes(title_text=x_var, range=[x_lo, x_hi], zeroline=False, showgrid=False)
    fig.update_yaxes(title_text=y_var, range=[y_lo, y_hi], zeroline=False, showgrid=False)
    return fig


def _window(values: np.ndarray) -> tuple[float, float]:
    """The range of the values with a margin, at least ±1 around them, and bounded."""
    lo, hi = float(np.min(values)), float(np.max(values))
    middle, half = (lo + hi) / 2, max((hi - lo) / 2 * 1.3, 1.0)
    half = min(half, 1e6)
    return middle - half, middle + half
