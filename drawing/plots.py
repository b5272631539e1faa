"""Plotly figures for the lessons, built from an `engine.Graph`.

Four pictures: a function beside its derivative (autodiff against central difference), the
secant against the tangent, the error of finite differences as ε shrinks, and a contour map with
the gradient. Each function returns a `plotly.graph_objects.Figure`; nothing here needs a browser.

Nothing is differentiated here: exact derivatives come from the engine's reverse mode
(`graph.gradient`, once over a whole NumPy grid), numerical ones from
`engine.central_difference` and `engine.forward_difference`. Where a function leaves its domain
the engine returns nan or inf; those points become gaps (NaN) in the traces, so every figure
builds and serializes whatever the function does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import engine

# -- look -------------------------------------------------------------------------------------
# One colour per meaning, the same in every figure (Okabe–Ito: distinguishable for colour-blind
# viewers and on a washed-out projector).
EXACT_COLOR = "#0072B2"  # exact derivative, by autodiff (blue)
NUMERIC_COLOR = "#E69F00"  # numerical derivative: central difference (orange)
POINT_COLOR = "#009E73"  # the current point, the current ε (green)
# Forward difference, the second numerical method (reddish purple, and dashed where it is drawn
# beside central difference): far from orange for every viewer, and apart in grey print.
FORWARD_COLOR = "#CC79A7"
FUNCTION_COLOR = "#333333"  # f itself (near black)
GUIDE_COLOR = "#888888"  # reference lines that are not data
UNDEFINED_FILL = "rgba(120, 120, 120, 0.18)"  # where f is undefined
# Light and not grey (grey means "undefined"), so the arrow and the point stand out on it.
SURFACE_COLORSCALE = [[0.0, "#FFFFFF"], [1.0, "#C9BEE6"]]
UNDEFINED_BACKGROUND = "#D0D0D0"  # shows through the contour map's gaps

FONT_SIZE = 16
TITLE_SIZE = 20
SUBTITLE_SIZE = 15
ANNOTATION_SIZE = 15
HEIGHT = 380
STACKED_HEIGHT = 480  # two panels sharing the x axis need a little more room
LINE_WIDTH = 3
MARKER_SIZE = 14

# -- numbers ----------------------------------------------------------------------------------
DEFAULT_HALF_SPAN = 3.0  # function_and_derivative shows at least x ± 3
MIN_SECANT_HALF_WINDOW = 1.0  # secant_and_tangent shows at least x ± 1, however tiny ε is
ERROR_FLOOR = 1e-17  # an exactly-zero error is drawn here, so log axes never see 0
EPS_GRID = np.logspace(-12, 0, 100)
EPS_GRID.flags.writeable = False  # shared by every call: nobody may change it in place
MACHINE_EPSILON = float(np.finfo(float).eps)

Values = Mapping[str, float]


# -- shared pieces ----------------------------------------------------------------------------
def _num(value: float) -> str:
    """A number short enough for a title or a legend."""
    return f"{value:.4g}" if math.isfinite(value) else "undefined"


def _power(value: float) -> str:
    """1.2·10⁻⁸ as Plotly text, for labels on log axes."""
    mantissa, exponent = f"{value:.1e}".split("e")
    power = f"10<sup>{int(exponent)}</sup>".replace("-", "−")
    return power if mantissa == "1.0" else f"{mantissa}·{power}"


def power_text(value: float) -> str:
    """1.1·10⁻⁶ as plain text, rounded as the figures' labels are."""
    mantissa, exponent = f"{value:.1e}".split("e")
    if int(exponent) == 0:
        return f"{value:.2g}"
    digits = str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"10{digits}" if mantissa == "1.0" else f"{mantissa}·10{digits}"


def _clean(values) -> np.ndarray:
    """A float array with nan and ±inf as NaN: Plotly draws NaN as a gap, inf it cannot draw."""
    array = np.asarray(values, dtype=float)
    return np.where(np.isfinite(array), array, np.nan)


def _point(graph: engine.Graph, values: Values, *plotted: str) -> dict[str, float]:
    """The engine's own checks (every variable has a value, no stray ones), then scalars only."""
    for name in plotted:
        if name not in graph.variables:
            known = ", ".join(graph.variables) or "none"
            raise ValueError(
                f"{name} is not a variable of {_text(graph)}; its variables are: {known}"
            )
    inputs = graph.inputs(values)
    point: dict[str, float] = {}
    for name, value in inputs.items():
        if np.ndim(value) != 0:
            raise ValueError(f"the value of {name} must be a single number, not an array")
        point[name] = float(value)
    for name in plotted:
        if not math.isfinite(point[name]):
            raise ValueError(f"{name} must be a finite number to draw around it, not {point[name]}")
    return point


def _check_eps(eps: float) -> float:
    eps = float(eps)
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"ε must be a positive number, not {eps}")
    return eps


def _along(
    graph: engine.Graph, point: Mapping[str, float], variable: str
) -> Callable[[np.ndarray | float], np.ndarray | float]:
    """f as a function of one variable, the others fixed: what the difference formulas need."""
    return lambda t: graph.evaluate({**point, variable: t})


def _text(graph: engine.Graph) -> str:
    return graph.text or graph.to_text()


def _signature(graph: engine.Graph) -> str:
    return f"f({', '.join(graph.variables)})"


def _others(point: Mapping[str, float], *plotted: str) -> str:
    """', with y = 3' for the variables held fixed, or ''."""
    fixed = [f"{name} = {_num(value)}" for name, value in point.items() if name not in plotted]
    return f", with {', '.join(fixed)}" if fixed else ""


def _derivative_name(graph: engine.Graph, variable: str) -> str:
    return "f′" if len(graph.variables) == 1 else f"∂f/∂{variable}"


def _view_range(arrays, include=()) -> tuple[float, float]:
    """A y range that shows the data, but not one blown up by a pole or by exp running away.

    The full range is kept unless a few points lie far beyond the bulk (beyond the 5th–95th
    percentile band by 1.5 times its width); those are cut off and simply leave the picture.
    """
    finite = np.concatenate([np.ravel(_clean(a)) for a in arrays] or [np.array([])])
    finite = finite[np.isfinite(finite)]
    extra = [v for v in include if v is not None and math.isfinite(v)]
    if finite.size == 0 and not extra:
        return -1.0, 1.0
    lo = hi = None
    if finite.size:
        q_lo, q_hi = np.percentile(finite, [5, 95])
        width = q_hi - q_lo
        lo, hi = float(finite.min()), float(finite.max())
        if width > 0:
            lo, hi = max(lo, q_lo - 1.5 * width), min(hi, q_hi + 1.5 * width)
    lo = min([v for v in [lo, *extra] if v is not None])
    hi = max([v for v in [hi, *extra] if v is not None])
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):  # a constant: give it some air
        pad = max(1.0, 0.1 * abs(hi))
        return lo - pad, hi + pad
    pad = 0.08 * (hi - lo)
    return lo - pad, hi + pad


def _break_poles(x: np.ndarray, y: np.ndarray, lo: float, hi: float):
    """Insert a gap where the curve jumps across the whole view with a change of sign (1/x at 0,
    tan at π/2), so Plotly does not join +∞ to −∞ with a vertical line."""
    jump = np.abs(np.diff(y)) > (hi - lo)
    flip = np.sign(y[:-1]) * np.sign(y[1:]) < 0
    cut = np.flatnonzero(jump & flip & np.isfinite(y[:-1]) & np.isfinite(y[1:]))
    if cut.size == 0:
        return x, y
    middle = (x[cut] + x[cut + 1]) / 2
    return np.insert(x, cut + 1, middle), np.insert(y, cut + 1, np.nan)


@dataclass(frozen=True)
class _Curve:
    """A curve over the grid as the legend and the hover name it."""

    name: str
    uid: str  # keeps the curve's identity across reruns
    color: str
    hover: str  # Plotly's hovertemplate, before its <extra></extra>


def _curve(
    x: np.ndarray,
    y: np.ndarray,
    view: tuple[float, float],
    curve: _Curve,
    width: float = LINE_WIDTH,
    dash: str | None = None,
) -> go.Scatter:
    """A line through the grid's points, cut where it jumps across the view at a pole."""
    cx, cy = _break_poles(x, y, *view)
    line = dict(color=curve.color, width=width) | ({"dash": dash} if dash else {})
    return go.Scatter(
        x=cx,
        y=cy,
        mode="lines",
        name=curve.name,
        uid=curve.uid,
        line=line,
        hovertemplate=curve.hover + "<extra></extra>",
    )


def _undefined_intervals(x: np.ndarray, f: np.ndarray) -> list[tuple[float, float]]:
    """Stretches of the grid where f is nan or inf, from midpoint to midpoint of the grid."""
    bad = ~np.isfinite(f)
    intervals = []
    i = 0
    while i < len(x):
        if not bad[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(x) and bad[j + 1]:
            j += 1
        start = x[0] if i == 0 else (x[i - 1] + x[i]) / 2
        end = x[-1] if j == len(x) - 1 else (x[j] + x[j + 1]) / 2
        intervals.append((float(start), float(end)))
        i = j + 1
    return intervals


def _undefined_reason(graph: engine.Graph, point: Mapping[str, float]) -> str:
    """Why f is nan or inf at a point: the domain note of the first operation that broke there."""
    values = graph.forward(graph.inputs(point))
    for node in graph.nodes:
        op = node.op
        if (
            op is not None
            and not np.isfinite(values[node.id])
            and all(np.isfinite(values[a]) for a in node.args)
        ):
            return (
                op.domain_at(*(float(values[a]) for a in node.args))
                or f"{op.name} is not defined there"
            )
    return "f is not defined there"


def _style(fig: go.Figure, title: str, subtitle: str = "", height: int = HEIGHT) -> go.Figure:
    """The look every figure shares: large type, white template, legend above the plot area."""
    fig.update_layout(
        template="plotly_white",
        height=height,
        font=dict(size=FONT_SIZE),
        title=dict(
            text=title,
            font=dict(size=TITLE_SIZE),
            x=0.01,
            xanchor="left",
            y=0.98,
            yanchor="top",
            subtitle=dict(text=subtitle, font=dict(size=SUBTITLE_SIZE, color="#555555")),
        ),
        # Above the plotting area, right-aligned: it never sits on a curve.
        legend=dict(
            orientation="h",
            yanchor="bottom",
            y=1.01,
            xanchor="right",
            x=1,
            font=dict(size=FONT_SIZE - 1),
            bgcolor="rgba(255,255,255,0.8)",
        ),
        margin=dict(l=70, r=30, t=105 if subtitle else 80, b=60),
        hoverlabel=dict(font=dict(size=FONT_SIZE)),
    )
    fig.update_xaxes(
        title_font=dict(size=FONT_SIZE + 1), tickfont=dict(size=FONT_SIZE - 1), zeroline=True
    )
    fig.update_yaxes(
        title_font=dict(size=FONT_SIZE + 1), tickfont=dict(size=FONT_SIZE - 1), zeroline=True
    )
    return fig


def _point_marker(
    x: float, y: float, name: str, showlegend: bool = True, uid: str = "point"
) -> go.Scatter:
    return go.Scatter(
        x=[x],
        y=[y],
        mode="markers",
        name=name,
        uid=uid,
        legendgroup="point",
        showlegend=showlegend,
        marker=dict(
            color=POINT_COLOR, size=MARKER_SIZE, symbol="circle", line=dict(color="white", width=2)
        ),
        hovertemplate="(%{x:.6g}, %{y:.6g})<extra>" + name + "</extra>",
    )


# How each contour map draws: its trace's uid, its level lines' colour, its labels' size.
MAPS = {"f": ("surface", "#666666", 14), "loss": ("loss-map", "#777777", 13)}


def contour_map(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    axes: tuple[str, str],
    name: str,
    levels: tuple[float, float, float] | None,
) -> go.Contour:
    """The filled contour map of `name` (f, the loss: see MAPS) over the grid; `levels`: (first,
    last, spacing) of its level lines, or None for Plotly's own."""
    uid, line, label_size = MAPS[name]
    x_var, y_var = axes
    contours: dict = dict(
        showlabels=True, labelfont=dict(size=label_size, color="#333333"), coloring="fill"
    )
    bounds: dict = {}
    if levels is not None:
        start, end, size = levels
        contours.update(start=start, end=end, size=size)
        bounds = dict(zmin=start, zmax=end, autocontour=False)
    return go.Contour(
        x=xs,
        y=ys,
        z=z,
        uid=uid,
        name=name,
        showscale=False,
        colorscale=SURFACE_COLORSCALE,
        contours=contours,
        line=dict(color=line, width=1),
        connectgaps=False,
        hovertemplate=f"{x_var} = %{{x:.3g}}<br>{y_var} = %{{y:.3g}}<br>"
        f"{name} = %{{z:.4g}}<extra></extra>",
        **bounds,
    )


def add_arrow(
    fig: go.Figure,
    start: tuple[float, float],
    tip: tuple[float, float],
    *,
    name: str,
    uid: str,
    color: str,
    width: int,
) -> None:
    """An arrow from `start` to `tip`: its shaft a trace (in the legend, readable as data), its
    head an annotation."""
    fig.add_trace(
        go.Scatter(
            x=[start[0], tip[0]],
            y=[start[1], tip[1]],
            mode="lines",
            name=name,
            uid=uid,
            line=dict(color=color, width=width),
            hoverinfo="skip",
        )
    )
    fig.add_annotation(
        x=tip[0],
        y=tip[1],
        ax=start[0],
        ay=start[1],
        xref="x",
        yref="y",
        axref="x",
        ayref="y",
        showarrow=True,
        arrowhead=2,
        arrowsize=1,
        arrowwidth=width,
        arrowcolor=color,
        text="",
    )


# -- 1. f and f′ ------------------------------------------------------------------------------
def function_and_derivative(
    graph: engine.Graph,
    variable: str,
    values: Values,
    *,
    span: float | tuple[float, float] | None = None,
    eps: float = 1e-4,
    points: int = 400,
) -> go.Figure:
    """f (top) and its derivative (bottom) around the current point, sharing the x axis.

    The derivative is drawn twice over the same grid: by autodiff (the engine's reverse mode,
    once over the whole grid) and by central difference with step `eps`. Other variables stay
    at their `values`. `span` is a half-width around the point or a `(low, high)` pair; by
    default x ± max(3, |x|/2). Where f is undefined the curves have gaps and the x range is
    shaded.
    """
    point = _point(graph, values, variable)
    eps = _check_eps(eps)
    if points < 2:
        raise ValueError("points must be at least 2")
    x0 = point[variable]
    if span is None:
        span = max(DEFAULT_HALF_SPAN, abs(x0) / 2)
    if isinstance(span, tuple):
        lo, hi = float(span[0]), float(span[1])
    else:
        lo, hi = x0 - float(span), x0 + float(span)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"span must give a range low < high, not ({lo}, {hi})")

    x = np.linspace(lo, hi, int(points))
    grid: dict[str, float | np.ndarray] = {**point, variable: x}
    f = _clean(graph.evaluate(grid))
    exact = _clean(graph.gradient(grid)[variable])  # one reverse pass over the whole grid
    central = _clean(engine.central_difference(_along(graph, point, variable), x, eps))
    # Reverse mode still multiplies local derivatives where f itself is nan (1/x for log at
    # x < 0), and x ± eps may both be defined around a hole in f: a derivative of a function
    # that is not there is not drawn.
    exact[np.isnan(f)] = np.nan
    central[np.isnan(f)] = np.nan
    f0 = float(graph.evaluate(point))
    d0 = float(graph.gradient(point)[variable]) if math.isfinite(f0) else math.nan

    df = _derivative_name(graph, variable)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.07)
    f_range = _view_range([f], [f0])
    d_range = _view_range([exact, central], [d0])

    f_line = _Curve("f", "f", FUNCTION_COLOR, "f(%{x:.4g}) = %{y:.6g}")
    fig.add_trace(_curve(x, f, f_range, f_line), row=1, col=1)
    autodiff = _Curve(f"{df} by autodiff", "autodiff", EXACT_COLOR, "autodiff: %{y:.10g}")
    fig.add_trace(_curve(x, exact, d_range, autodiff, width=LINE_WIDTH + 1), row=2, col=1)
    # Dashed on top of the solid autodiff curve: where they agree, both stay visible.
    difference = _Curve(
        f"central difference, ε = {eps:g}", "central", NUMERIC_COLOR, "central: %{y:.10g}"
    )
    fig.add_trace(_curve(x, central, d_range, difference, dash="dash"), row=2, col=1)

    fig.add_vline(x=x0, line=dict(color=POINT_COLOR, width=1.5, dash="dot"), row="all", col=1)
    if math.isfinite(f0):
        fig.add_trace(
            _point_marker(x0, f0, f"{variable} = {_num(x0)}", uid="point-f"), row=1, col=1
        )
    if math.isfinite(d0):
        fig.add_trace(
            _point_marker(
                x0,
                d0,
                f"{variable} = {_num(x0)}",
                showlegend=not math.isfinite(f0),
                uid="point-derivative",
            ),
            row=2,
            col=1,
        )

    # Where f is undefined: shade it in both panels and say why, once.
    notes = []
    intervals = _undefined_intervals(x, f)
    for a, b in intervals:
        fig.add_vrect(
            x0=a, x1=b, fillcolor=UNDEFINED_FILL, line_width=0, layer="below", row="all", col=1
        )
    if intervals:
        a, b = max(intervals, key=lambda ab: ab[1] - ab[0])
        if b - a > 0.08 * (hi - lo):  # label only a stretch wide enough to hold the text
            fig.add_annotation(
                x=(a + b) / 2,
                y=0.97,
                xref="x",
                yref="y domain",
                text="undefined",
                showarrow=False,
                font=dict(size=ANNOTATION_SIZE, color="#555555"),
            )
        where = x0 if not math.isfinite(f0) else float(x[~np.isfinite(f)][0])
        reason = _undefined_reason(graph, {**point, variable: where})
        notes.append(f"shaded: f undefined ({reason})")
    if not math.isfinite(f0):
        notes.insert(0, f"f is undefined at {variable} = {_num(x0)}")
    elif not math.isfinite(d0):
        notes.insert(0, f"{df} is undefined at {variable} = {_num(x0)}")

    title = (
        f"{_signature(graph)} = {_text(graph)}  ·  {df} at {variable} = {_num(x0)} is {_num(d0)}"
    )
    subtitle = ("; ".join(notes) or f"around {variable} = {_num(x0)}") + _others(point, variable)
    _style(fig, title, subtitle, height=STACKED_HEIGHT)
    fig.update_yaxes(title_text="f", range=list(f_range), row=1, col=1)
    fig.update_yaxes(title_text=df, range=list(d_range), row=2, col=1)
    fig.update_xaxes(title_text=variable, range=[lo, hi], row=2, col=1)
    fig.update_xaxes(range=[lo, hi], row=1, col=1)
    return fig


# -- 2. secant and tangent --------------------------------------------------------------------
def secant_and_tangent(graph: engine.Graph, variable: str, values: Values, eps: float) -> go.Figure:
    """f near x with the secant through x ± eps and the tangent at x (slope by autodiff).

    The window is x ± max(1, 2·eps): wide enough to show both secant points when eps is large,
    and never so narrow that f disappears when eps is tiny.
    """
    point = _point(graph, values, variable)
    eps = _check_eps(eps)
    x0 = point[variable]
    half = max(MIN_SECANT_HALF_WINDOW, 2 * eps)
    x = np.linspace(x0 - half, x0 + half, 400)
    f_along = _along(graph, point, variable)

    f = _clean(graph.evaluate({**point, variable: x}))
    f0 = float(graph.evaluate(point))
    fm, fp = (
        float(v)
        for v in np.asarray(graph.evaluate({**point, variable: np.array([x0 - eps, x0 + eps])}))
    )
    tangent_slope = float(graph.gradient(point)[variable])
    secant_slope = float(engine.central_difference(f_along, x0, eps))
    ends = np.array([x0 - half, x0 + half])
    y_range = _view_range([f], [f0, fm, fp])

    fig = go.Figure()
    fig.add_trace(_curve(x, f, y_range, _Curve("f", "f", FUNCTION_COLOR, "f(%{x:.6g}) = %{y:.6g}")))
    notes = []
    # The tangent first, so the dashed secant stays visible on top when the two coincide.
    if math.isfinite(tangent_slope) and math.isfinite(f0):
        fig.add_trace(
            go.Scatter(
                x=ends,
                y=f0 + tangent_slope * (ends - x0),
                mode="lines",
                name=f"tangent (autodiff), slope {_num(tangent_slope)}",
                uid="tangent",
                line=dict(color=EXACT_COLOR, width=LINE_WIDTH),
                hoverinfo="skip",
            )
        )
    else:
        notes.append(f"no tangent: f or its derivative is undefined at {variable} = {_num(x0)}")
    if math.isfinite(secant_slope):
        # The line through both secant points, drawn across the whole window.
        fig.add_trace(
            go.Scatter(
                x=ends,
                y=fm + secant_slope * (ends - (x0 - eps)),
                mode="lines",
                name=f"secant, slope {_num(secant_slope)}",
                uid="secant",
                line=dict(color=NUMERIC_COLOR, width=LINE_WIDTH, dash="dash"),
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[x0 - eps, x0 + eps],
                y=[fm, fp],
                mode="markers",
                name=f"{variable} ± ε",
                uid="secant-points",
                marker=dict(
                    color=NUMERIC_COLOR, size=MARKER_SIZE - 2, line=dict(color="white", width=1.5)
                ),
                hovertemplate="(%{x:.10g}, %{y:.10g})<extra>x ± ε</extra>",
            )
        )
    else:
        notes.append(f"no secant: f is undefined at {variable} − ε or {variable} + ε")
    if math.isfinite(f0):
        fig.add_trace(_point_marker(x0, f0, f"{variable} = {_num(x0)}"))
    for a, b in _undefined_intervals(x, f):
        fig.add_vrect(x0=a, x1=b, fillcolor=UNDEFINED_FILL, line_width=0, layer="below")

    if not notes:
        gap = abs(secant_slope - tangent_slope)
        notes.append(f"the slopes differ by {gap:.2g}")
    title = f"Secant and tangent of {_text(graph)} at {variable} = {_num(x0)}, ε = {eps:g}"
    _style(fig, title, "; ".join(notes) + _others(point, variable))
    fig.update_xaxes(title_text=variable, range=[x0 - half, x0 + half])
    fig.update_yaxes(title_text="f", range=list(y_range))
    return fig


# -- 3. error of finite differences -----------------------------------------------------------
def _floored(error):
    """Errors for a log axis: exactly 0 becomes ERROR_FLOOR, nan and inf become NaN (gaps)."""
    return np.maximum(_clean(error), ERROR_FLOOR)  # np.maximum keeps NaN as NaN


def difference_errors(graph: engine.Graph, variable: str, values: Values, eps_grid=None) -> dict:
    """|numerical − exact| for forward and central difference at each ε of `eps_grid`.

    The exact derivative is the engine's autodiff value. Errors of exactly 0 are raised to
    `ERROR_FLOOR` so a log axis can show them; nan stays nan. Returns a dict with `eps`,
    `exact`, `forward`, `central` (arrays of errors), `best_forward`, `best_central` (the ε of
    the smallest error, or None if every error is nan) and `forward_min`, `central_min`.
    """
    point = _point(graph, values, variable)
    eps = np.array(EPS_GRID if eps_grid is None else eps_grid, dtype=float)  # a copy
    if eps.ndim != 1 or eps.size == 0 or not np.all(np.isfinite(eps) & (eps > 0)):
        raise ValueError("eps_grid must be a non-empty list of positive numbers")
    x0 = point[variable]
    f_along = _along(graph, point, variable)
    # Where f itself is undefined there is no derivative to compare with (reverse mode would
    # still multiply local derivatives, e.g. 1/x for log at x < 0).
    defined = math.isfinite(float(graph.evaluate(point)))
    exact = float(graph.gradient(point)[variable]) if defined else math.nan
    # The engine's formulas, over the whole ε grid at once (x0 + eps is an array).
    errors = {}
    for name, rule in [
        ("forward", engine.forward_difference),
        ("central", engine.central_difference),
    ]:
        errors[name] = _floored(np.abs(rule(f_along, x0, eps) - exact))
    result = {"eps": eps, "exact": exact, "floor": ERROR_FLOOR, **errors}
    for name, error in errors.items():
        best = int(np.nanargmin(error)) if np.any(np.isfinite(error)) else None
        result[f"best_{name}"] = None if best is None else float(eps[best])
        result[f"{name}_min"] = None if best is None else float(error[best])
    return result


def difference_error(
    graph: engine.Graph, variable: str, values: Values, eps: float, data: dict | None = None
) -> go.Figure:
    """The V of finite differences on log–log axes, with the current ε and the best ε of each.

    Right arm: truncation error, falling as ε² (central) or ε (forward). Left arm: round-off,
    growing as 1/ε. Errors are against the engine's autodiff derivative. `data`: what
    difference_errors returned, when the caller states its figures too (the same best ε).
    """
    eps = _check_eps(eps)
    point = _point(graph, values, variable)
    data = difference_errors(graph, variable, values) if data is None else data
    grid = data["eps"]
    x0 = point[variable]
    f_along = _along(graph, point, variable)
    f0 = float(graph.evaluate(point))
    # The current ε need not be on the grid: its errors come straight from the engine.
    now = {
        name: float(_floored(abs(float(rule(f_along, x0, eps)) - data["exact"])))
        for name, rule in [
            ("forward", engine.forward_difference),
            ("central", engine.central_difference),
        ]
    }

    fig = go.Figure()
    styles = {
        "forward": ("forward difference", FORWARD_COLOR, "dash"),
        "central": ("central difference", NUMERIC_COLOR, "solid"),
    }
    for name, (label, color, dash) in styles.items():
        fig.add_trace(
            go.Scatter(
                x=grid,
                y=data[name],
                mode="lines",
                name=label,
                uid=name,
                line=dict(color=color, width=LINE_WIDTH, dash=dash),
                hovertemplate=f"ε = %{{x:.2e}}<br>|error| = %{{y:.2e}}<extra>{label}</extra>",
            )
        )

    # Round-off: f(x ± ε) is only known to about ε_mach·|f|, and that is divided by ε.
    if math.isfinite(f0) and f0 != 0:
        fig.add_trace(
            go.Scatter(
                x=grid,
                y=MACHINE_EPSILON * abs(f0) / grid,
                mode="lines",
                name="round-off ≈ ε_mach·|f|/ε",
                uid="round-off",
                line=dict(color=GUIDE_COLOR, width=1.5, dash="dash"),
                hoverinfo="skip",
            )
        )

    finite = np.concatenate([data[n] for n in styles] + [np.array(list(now.values()))])
    finite = finite[np.isfinite(finite)]
    y_hi = math.log10(finite.max()) + 0.5 if finite.size else 1.0
    y_lo = math.log10(finite.min()) if finite.size else -17.0
    # Room below the lowest error (a quarter of the height): the "best ε" labels go there.
    y_lo -= max(2.0, 0.25 * (y_hi - y_lo))

    # The best ε of each: a star at the bottom of its V, labelled below it (empty space there).
    for name, (label, color, _) in styles.items():
        best, low = data[f"best_{name}"], data[f"{name}_min"]
        if best is None:
            continue
        fig.add_trace(
            go.Scatter(
                x=[best],
                y=[low],
                mode="markers",
                name=f"best ε, {label}",
                uid=f"best-{name}",
                showlegend=False,
                marker=dict(
                    symbol="star",
                    size=MARKER_SIZE + 4,
                    color=color,
                    line=dict(color="white", width=1),
                ),
                hovertemplate="best ε = %{x:.1e}<br>|error| = %{y:.1e}<extra></extra>",
            )
        )
        # An error of exactly 0 has no best ε: say it is exact instead.
        text = f"best ε ≈ {_power(best)}" if low > ERROR_FLOOR else "exact: error 0"
        fig.add_annotation(
            x=math.log10(best),
            y=math.log10(low),  # log axes take log10 here
            text=text,
            showarrow=True,
            arrowhead=0,
            ax=0,
            ay=32 if name == "central" else 26,
            arrowcolor=color,
            font=dict(size=ANNOTATION_SIZE, color=color),
            bgcolor="white",
        )

    # Slope labels on the truncation arm, where the error is still above round-off.
    # Central is the lower line: its label goes below it, forward's above, so neither is
    # read against the other line.
    for name, text, shift in [("central", "∝ ε²", -18), ("forward", "∝ ε", 18)]:
        k = int(np.argmin(np.abs(np.log10(grid) + 1.3)))  # near ε = 0.05
        y = data[name][k]
        if np.isfinite(y) and y > 10 * ERROR_FLOOR and abs(math.log10(grid[k]) + 1.3) < 0.5:
            fig.add_annotation(
                x=math.log10(grid[k]),
                y=math.log10(y),
                text=text,
                showarrow=False,
                yshift=shift,
                xshift=-shift,
                font=dict(size=ANNOTATION_SIZE + 1, color=styles[name][1]),
            )

    # The current ε: a vertical line (a trace, so it lives in data coordinates) and its errors.
    fig.add_trace(
        go.Scatter(
            x=[eps, eps],
            y=[10**y_lo, 10**y_hi],
            mode="lines",
            name=f"your ε = {eps:g}",
            uid="current-eps",
            line=dict(color=POINT_COLOR, width=2, dash="dot"),
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[eps, eps],
            y=[now["forward"], now["central"]],
            mode="markers",
            name="errors at your ε",
            uid="current-errors",
            showlegend=False,
            marker=dict(color=POINT_COLOR, size=MARKER_SIZE, line=dict(color="white", width=2)),
            hovertemplate="|error| = %{y:.2e}<extra>your ε</extra>",
        )
    )

    subtitle = (
        f"|numerical − autodiff| at {variable} = {_num(x0)}: "
        f"at ε = {eps:g}, forward {now['forward']:.1e}, central {now['central']:.1e}"
    )
    if not math.isfinite(data["exact"]):
        subtitle = f"f or its derivative is undefined at {variable} = {_num(x0)}: no error to show"
    _style(fig, f"Error of finite differences for {_text(graph)}", subtitle)
    fig.update_xaxes(type="log", title_text="step ε", exponentformat="power", dtick=2)
    fig.update_yaxes(
        type="log", title_text="|error|", exponentformat="power", range=[y_lo, y_hi], dtick=3
    )
    return fig


# -- 4. contour map and gradient --------------------------------------------------------------
SURFACE_ASPECT = 2.0  # default window is twice as wide as high: it fills a slide at equal scale
MAX_LEVELS_EACH_SIDE = 10  # contour lines above and below f(point); more would crowd labels


def _surface_window(
    graph: engine.Graph, point: dict[str, float], x_var: str, y_var: str
) -> tuple[float, float]:
    """Half-widths (x, y) of the default window around the point.

    Start at y ± max(1.5, half the larger coordinate) and twice that in x, then shrink (to a
    quarter at most) while f is undefined somewhere in it, so a point inside the domain, like
    (1, 2) for log(xy), gets a window inside the domain. If even the smallest window has gaps,
    the full one is shown with its gaps.
    """
    x0, y0 = point[x_var], point[y_var]
    start = max(1.5, 0.5 * max(abs(x0), abs(y0)))
    if not math.isfinite(float(graph.evaluate(point))):
        return SURFACE_ASPECT * start, start
    h = start
    for _ in range(7):
        px, py = np.meshgrid(
            np.linspace(x0 - SURFACE_ASPECT * h, x0 + SURFACE_ASPECT * h, 41),
            np.linspace(y0 - h, y0 + h, 21),
        )
        if np.all(np.isfinite(graph.evaluate({**point, x_var: px, y_var: py}))):
            return SURFACE_ASPECT * h, h
        h *= 0.8
    return SURFACE_ASPECT * start, start


def surface_with_gradient(
    graph: engine.Graph,
    values: Values,
    *,
    x_var: str,
    y_var: str,
    span: float | tuple[float, float] | None = None,
    points: int = 80,
) -> go.Figure:
    """Contour map of f over (x_var, y_var) around the point, other variables fixed, with the
    gradient (by autodiff) as an arrow at the point.

    Axes are equal-scaled, so the arrow's direction on screen is the gradient's; its length is
    scaled to fit the window. Contour levels are spaced evenly through f at the point, so the
    level line through the point is drawn and the arrow crosses it at a right angle. `span` is
    the half-width of a square window, or a pair (x half-width, y half-width); by default the
    window is twice as wide as high and chosen to stay where f is defined. Where f is undefined
    the map has grey gaps.
    """
    if x_var == y_var:
        raise ValueError("x_var and y_var must be two different variables")
    point = _point(graph, values, x_var, y_var)
    if points < 2:
        raise ValueError("points must be at least 2")
    x0, y0 = point[x_var], point[y_var]
    if span is None:
        hx, hy = _surface_window(graph, point, x_var, y_var)
    else:
        hx, hy = (
            (float(span[0]), float(span[1]))
            if isinstance(span, tuple)
            else (float(span), float(span))
        )
    if not all(math.isfinite(h) and h > 0 for h in (hx, hy)):
        raise ValueError(f"span must be positive, not {span}")

    # Equal scale: as many grid points per unit along x as along y (within reason).
    xs = np.linspace(x0 - hx, x0 + hx, min(max(2, round(points * hx / hy)), 4 * int(points)))
    ys = np.linspace(y0 - hy, y0 + hy, int(points))
    grid_x, grid_y = np.meshgrid(xs, ys)  # rows follow y, as Plotly's z does
    z = _clean(graph.evaluate({**point, x_var: grid_x, y_var: grid_y}))
    f0 = float(graph.evaluate(point))
    gradient = graph.gradient(point)
    # No gradient where f itself is undefined, whatever reverse mode multiplies out there.
    gx, gy = (
        (float(gradient[x_var]), float(gradient[y_var]))
        if math.isfinite(f0)
        else (math.nan, math.nan)
    )
    norm = math.hypot(gx, gy)
    h = min(hx, hy)

    # Levels: evenly spaced through f(point), about five between the point and the window's
    # edge along the gradient; far-away values (exp running off) saturate the colour instead.
    finite = z[np.isfinite(z)]
    levels = None
    if finite.size and math.isfinite(f0):
        z_lo, z_hi = np.percentile(finite, [1, 99])
        if math.isfinite(norm) and norm > 0:
            size = norm * h / 5
        else:
            size = (z_hi - z_lo) / 12 if z_hi > z_lo else 1.0
        below = min(max(math.ceil((f0 - z_lo) / size), 1), MAX_LEVELS_EACH_SIDE)
        above = min(max(math.ceil((z_hi - f0) / size), 1), MAX_LEVELS_EACH_SIDE)
        levels = (f0 - below * size, f0 + above * size, size)

    fig = go.Figure(contour_map(xs, ys, z, (x_var, y_var), "f", levels))

    notes = []
    if math.isfinite(norm) and norm > 0:
        length = 0.6 * h  # visible, and always inside the window
        ux, uy = gx / norm, gy / norm
        tip = (x0 + length * ux, y0 + length * uy)
        add_arrow(
            fig,
            (x0, y0),
            tip,
            name="∇f by autodiff (length scaled)",
            uid="gradient",
            color=EXACT_COLOR,
            width=5,
        )
        fig.add_annotation(
            x=tip[0],
            y=tip[1],
            text="<b>∇f</b>",
            showarrow=False,
            xshift=22 * ux,
            yshift=22 * uy,
            bgcolor="rgba(255,255,255,0.85)",
            font=dict(size=ANNOTATION_SIZE + 2, color=EXACT_COLOR),
        )
        notes.append(f"∇f = ({_num(gx)}, {_num(gy)}): the arrow has its exact direction")
    elif norm == 0:
        notes.append("∇f = (0, 0): a flat point, no direction of steepest ascent")
    else:
        notes.append(f"∇f is undefined at ({_num(x0)}, {_num(y0)})")
    if math.isfinite(f0):
        fig.add_trace(_point_marker(x0, y0, f"({x_var}, {y_var}) = ({_num(x0)}, {_num(y0)})"))
    else:
        notes.insert(0, f"f is undefined at the point ({_undefined_reason(graph, point)})")
    if finite.size < z.size:
        notes.append("grey: f undefined")

    title = f"{_text(graph)} around ({x_var}, {y_var}) = ({_num(x0)}, {_num(y0)})"
    _style(fig, title, "; ".join(notes) + _others(point, x_var, y_var), height=STACKED_HEIGHT)
    fig.update_layout(plot_bgcolor=UNDEFINED_BACKGROUND)
    fig.update_xaxes(
        title_text=x_var,
        range=[x0 - hx, x0 + hx],
        constrain="domain",
        zeroline=False,
        showgrid=False,
    )
    fig.update_yaxes(
        title_text=y_var,
        range=[y0 - hy, y0 + hy],
        scaleanchor="x",
        scaleratio=1,
        constrain="domain",
        zeroline=False,
        showgrid=False,
    )
    return fig
