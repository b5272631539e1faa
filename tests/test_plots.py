"""The lesson figures hold the right data: checked against NumPy formulas written out here."""

import json
import math

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from drawing import plots

SIN = engine.parse("sin(x)")
H = engine.parse("log(xy)+exp(xy)")


def trace(fig: go.Figure, uid: str):
    found = [t for t in fig.data if t.uid == uid]
    assert len(found) == 1, f"expected one trace {uid!r}, found {[t.uid for t in fig.data]}"
    return found[0]


def xy(t) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(t.x, dtype=float), np.asarray(t.y, dtype=float)


def strict_json(fig: go.Figure) -> dict:
    """to_json must work and give JSON a browser accepts: no NaN or Infinity tokens."""

    def reject(token):
        raise ValueError(f"non-standard JSON constant {token}")

    return json.loads(fig.to_json(), parse_constant=reject)


def line_through(t) -> tuple[float, float]:
    """Slope and intercept of a two-point line trace."""
    (x1, x2), (y1, y2) = xy(t)
    slope = (y2 - y1) / (x2 - x1)
    return slope, y1 - slope * x1


# -- function_and_derivative ------------------------------------------------------------------
def test_autodiff_trace_is_cos_and_f_is_sin_over_the_default_window():
    fig = plots.function_and_derivative(SIN, "x", {"x": 1.0})
    grid = np.linspace(1 - 3, 1 + 3, 400)
    x, y = xy(trace(fig, "autodiff"))
    np.testing.assert_allclose(x, grid)
    np.testing.assert_allclose(y, np.cos(grid), rtol=0, atol=1e-15)
    x, y = xy(trace(fig, "f"))
    np.testing.assert_allclose(x, grid)
    np.testing.assert_allclose(y, np.sin(grid), rtol=0, atol=1e-15)


def test_central_trace_is_the_central_difference_not_the_exact_derivative():
    eps = 0.5  # large, so the central difference is visibly not cos
    fig = plots.function_and_derivative(SIN, "x", {"x": 1.0}, eps=eps)
    x, y = xy(trace(fig, "central"))
    expected = (np.sin(x + eps) - np.sin(x - eps)) / (2 * eps)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-15)
    assert np.max(np.abs(y - np.cos(x))) > 0.02
    assert "0.5" in trace(fig, "central").name


def test_current_point_is_marked_on_f_and_on_the_derivative():
    fig = plots.function_and_derivative(SIN, "x", {"x": 1.0})
    on_f, on_derivative = trace(fig, "point-f"), trace(fig, "point-derivative")
    assert xy(on_f) == ([1.0], [pytest.approx(math.sin(1.0))])
    assert xy(on_derivative) == ([1.0], [pytest.approx(math.cos(1.0))])
    # Each marker sits in its own panel: f on top (y), the derivative below (y2).
    assert on_f.yaxis == trace(fig, "f").yaxis == "y"
    assert on_derivative.yaxis == trace(fig, "autodiff").yaxis == "y2"
    assert trace(fig, "central").yaxis == "y2"


def test_other_variables_stay_fixed_and_span_sets_the_window():
    g = engine.parse("x*y + sin(x)")
    fig = plots.function_and_derivative(g, "x", {"x": 1.0, "y": 3.0}, span=(-1.0, 2.0), points=50)
    x, y = xy(trace(fig, "autodiff"))
    np.testing.assert_allclose(x, np.linspace(-1, 2, 50))
    np.testing.assert_allclose(y, 3 + np.cos(x), atol=1e-14)
    np.testing.assert_allclose(xy(trace(fig, "f"))[1], 3 * x + np.sin(x), atol=1e-14)
    assert "y = 3" in fig.layout.title.subtitle.text

    along_y = plots.function_and_derivative(g, "y", {"x": 1.0, "y": 3.0}, span=2.0)
    y_grid, dy = xy(trace(along_y, "autodiff"))
    np.testing.assert_allclose(y_grid, np.linspace(1, 5, 400))
    np.testing.assert_allclose(dy, 1.0)  # ∂(xy + sin x)/∂y = x
    assert trace(along_y, "autodiff").name.startswith("∂f/∂y")


def test_default_window_grows_with_the_size_of_x():
    x, _ = xy(trace(plots.function_and_derivative(SIN, "x", {"x": 100.0}), "f"))
    assert x[0] <= 50 and x[-1] >= 150


def test_log_across_zero_leaves_a_shaded_gap_where_it_is_undefined():
    fig = plots.function_and_derivative(engine.parse("log(x)"), "x", {"x": 1.0})
    x, f = xy(trace(fig, "f"))
    outside = x <= 0
    assert outside.any() and (~outside).any()
    assert np.all(np.isnan(f[outside]))
    np.testing.assert_allclose(f[~outside], np.log(x[~outside]))
    xd, d = xy(trace(fig, "autodiff"))
    assert np.all(np.isnan(d[xd <= 0]))  # no derivative drawn where f is not there
    np.testing.assert_allclose(d[xd > 0], 1 / xd[xd > 0])
    xc, c = xy(trace(fig, "central"))
    assert np.all(np.isnan(c[xc <= 0]))
    shaded = [(s.x0, s.x1) for s in fig.layout.shapes if s.type == "rect"]
    assert shaded and any(a <= -1.9 and -0.05 < b <= 0.02 for a, b in shaded)
    assert "log needs a positive number" in fig.layout.title.subtitle.text
    strict_json(fig)


def test_a_pole_is_a_gap_not_a_vertical_line():
    fig = plots.function_and_derivative(engine.parse("1/x"), "x", {"x": 0.5})
    for uid in ("f", "autodiff", "central"):
        t = trace(fig, uid)
        x, y = xy(t)
        finite = np.isfinite(y)
        assert finite[x < 0].any() and finite[x > 0].any()
        # A segment from one branch to the other may exist only off screen (1/x² goes to −∞ on
        # both sides); none may cross the visible range.
        lo, hi = fig.layout["yaxis" + t.yaxis[1:]].range
        across = np.flatnonzero(finite[:-1] & finite[1:] & (x[:-1] < 0) & (x[1:] > 0))
        for i in across:
            assert max(y[i], y[i + 1]) < lo or min(y[i], y[i + 1]) > hi, uid
        x, y = x[finite], y[finite]
        e = 1e-4
        expected = {
            "f": 1 / x,
            "autodiff": -1 / x**2,
            "central": (1 / (x + e) - 1 / (x - e)) / (2 * e),
        }[uid]
        np.testing.assert_allclose(y, expected, rtol=1e-9)
    strict_json(fig)


def test_point_outside_the_domain_still_draws_and_says_so():
    fig = plots.function_and_derivative(engine.parse("log(x)"), "x", {"x": -1.0})
    assert not [t for t in fig.data if t.uid in ("point-f", "point-derivative")]
    assert "undefined at x = -1" in fig.layout.title.subtitle.text
    strict_json(fig)


def test_bad_arguments_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="not a variable"):
        plots.function_and_derivative(SIN, "y", {"x": 1.0})
    with pytest.raises(ValueError, match="ε"):
        plots.secant_and_tangent(SIN, "x", {"x": 1.0}, 0.0)
    with pytest.raises(ValueError, match="missing"):
        plots.surface_with_gradient(H, {"x": 1.0}, x_var="x", y_var="y")


# -- secant_and_tangent -----------------------------------------------------------------------
def test_secant_goes_through_both_points_and_tangent_has_the_exact_slope():
    eps = 0.5
    fig = plots.secant_and_tangent(SIN, "x", {"x": 1.0}, eps)
    slope, intercept = line_through(trace(fig, "secant"))
    for x in (1 - eps, 1 + eps):
        assert slope * x + intercept == pytest.approx(math.sin(x), abs=1e-12)
    assert slope == pytest.approx((math.sin(1.5) - math.sin(0.5)) / 1.0, rel=1e-12)
    px, py = xy(trace(fig, "secant-points"))
    np.testing.assert_allclose(px, [0.5, 1.5])
    np.testing.assert_allclose(py, np.sin([0.5, 1.5]))

    slope, intercept = line_through(trace(fig, "tangent"))
    assert slope == pytest.approx(math.cos(1.0), rel=1e-12)
    assert slope * 1.0 + intercept == pytest.approx(math.sin(1.0), abs=1e-12)
    assert xy(trace(fig, "point")) == ([1.0], [pytest.approx(math.sin(1.0))])


@pytest.mark.parametrize("eps, low, high", [(1e-9, 0.0, 2.0), (3.0, -5.0, 7.0)])
def test_secant_window_shows_f_for_tiny_eps_and_both_points_for_large_eps(eps, low, high):
    fig = plots.secant_and_tangent(SIN, "x", {"x": 1.0}, eps)
    x, y = xy(trace(fig, "f"))
    assert x[0] <= low and x[-1] >= high
    assert np.ptp(y) > 0.5  # f itself is visible, not a flat sliver
    lo, hi = fig.layout.xaxis.range
    assert lo <= 1 - eps and hi >= 1 + eps


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(x0=st.floats(-6, 6), eps=st.floats(1e-3, 2.0))
def test_secant_slope_is_the_central_difference(x0, eps):
    fig = plots.secant_and_tangent(SIN, "x", {"x": x0}, eps)
    slope, _ = line_through(trace(fig, "secant"))
    expected = (math.sin(x0 + eps) - math.sin(x0 - eps)) / (2 * eps)
    assert slope == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_secant_reaching_outside_the_domain_is_left_out():
    fig = plots.secant_and_tangent(engine.parse("log(x)"), "x", {"x": 0.5}, 1.0)
    assert not [t for t in fig.data if t.uid == "secant"]
    assert line_through(trace(fig, "tangent"))[0] == pytest.approx(2.0)
    assert "no secant" in fig.layout.title.subtitle.text
    strict_json(fig)


# -- difference_errors / difference_error -----------------------------------------------------
def test_difference_errors_match_the_formulas_written_out():
    data = plots.difference_errors(SIN, "x", {"x": 1.0})
    eps = data["eps"]
    np.testing.assert_allclose(eps, np.logspace(-12, 0, 100))
    central = np.abs((np.sin(1 + eps) - np.sin(1 - eps)) / (2 * eps) - np.cos(1.0))
    forward = np.abs((np.sin(1 + eps) - np.sin(1.0)) / eps - np.cos(1.0))
    np.testing.assert_allclose(data["central"], np.maximum(central, 1e-17), rtol=1e-9)
    np.testing.assert_allclose(data["forward"], np.maximum(forward, 1e-17), rtol=1e-9)
    assert data["exact"] == pytest.approx(math.cos(1.0))


def test_the_v_shape_best_steps_and_truncation_slopes_for_sin():
    data = plots.difference_errors(SIN, "x", {"x": 1.0})
    eps, central, forward = data["eps"], data["central"], data["forward"]
    assert 1e-7 < data["best_central"] < 1e-3
    assert 1e-9 < data["best_forward"] < 1e-6
    assert data["best_forward"] < data["best_central"]
    assert data["central_min"] == central.min() and data["forward_min"] == forward.min()
    # Right arm: truncation, slope 2 (central) and 1 (forward) on log–log axes.
    right = (eps >= 1e-2) & (eps <= 1e-1)
    assert np.polyfit(np.log10(eps[right]), np.log10(central[right]), 1)[0] == pytest.approx(
        2, abs=0.1
    )
    assert np.polyfit(np.log10(eps[right]), np.log10(forward[right]), 1)[0] == pytest.approx(
        1, abs=0.1
    )
    # Left arm: round-off makes the tiniest step far worse than the best one.
    assert central[0] > 1e4 * data["central_min"]
    assert forward[0] > 1e3 * data["forward_min"]


def test_exactly_zero_errors_sit_on_the_floor_of_the_log_axis():
    data = plots.difference_errors(engine.parse("x^2"), "x", {"x": 0.0}, [1e-6, 1e-3, 0.5])
    np.testing.assert_array_equal(data["central"], 1e-17)  # (ε² − ε²)/2ε is exactly 0
    np.testing.assert_allclose(data["forward"], [1e-6, 1e-3, 0.5])  # ε²/ε − 0
    fig = plots.difference_error(engine.parse("x^2"), "x", {"x": 0.0}, 1e-3)
    assert all(np.all(xy(t)[1] > 0) for t in fig.data)
    assert fig.layout.yaxis.range[0] < -17  # the floor is inside the view
    assert "exact: error 0" in [a.text for a in fig.layout.annotations]
    strict_json(fig)


def test_difference_error_figure_marks_the_current_eps_and_the_best_ones():
    eps = 1e-4
    fig = plots.difference_error(SIN, "x", {"x": 1.0}, eps)
    data = plots.difference_errors(SIN, "x", {"x": 1.0})
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    np.testing.assert_allclose(xy(trace(fig, "central"))[1], data["central"])
    line_x, _ = xy(trace(fig, "current-eps"))
    np.testing.assert_array_equal(line_x, [eps, eps])
    _, errors = xy(trace(fig, "current-errors"))
    forward = abs((math.sin(1 + eps) - math.sin(1)) / eps - math.cos(1))
    central = abs((math.sin(1 + eps) - math.sin(1 - eps)) / (2 * eps) - math.cos(1))
    np.testing.assert_allclose(errors, [forward, central], rtol=1e-6)
    for name in ("forward", "central"):
        bx, by = xy(trace(fig, f"best-{name}"))
        assert (bx[0], by[0]) == (data[f"best_{name}"], data[f"{name}_min"])
    labels = [a.text for a in fig.layout.annotations if a.text.startswith("best ε")]
    assert len(labels) == 2
    strict_json(fig)


def test_no_error_curve_where_f_is_undefined():
    data = plots.difference_errors(engine.parse("log(x)"), "x", {"x": -1.0})
    assert math.isnan(data["exact"]) and data["best_central"] is None
    assert np.all(np.isnan(data["forward"])) and np.all(np.isnan(data["central"]))
    fig = plots.difference_error(engine.parse("log(x)"), "x", {"x": -1.0}, 1e-4)
    assert "undefined" in fig.layout.title.subtitle.text
    assert all(math.isfinite(v) for v in fig.layout.yaxis.range)
    strict_json(fig)


# -- surface_with_gradient --------------------------------------------------------------------
def test_gradient_arrow_points_along_the_exact_gradient_of_h():
    fig = plots.surface_with_gradient(H, {"x": 1.0, "y": 2.0}, x_var="x", y_var="y")
    (x0, x1), (y0, y1) = xy(trace(fig, "gradient"))
    assert (x0, y0) == (1.0, 2.0)
    gx, gy = 1 / 1 + 2 * math.exp(2), 1 / 2 + 1 * math.exp(2)
    arrow = np.array([x1 - x0, y1 - y0])
    cosine = arrow @ [gx, gy] / (np.linalg.norm(arrow) * math.hypot(gx, gy))
    assert cosine == pytest.approx(1, abs=1e-12)
    lo, hi = fig.layout.xaxis.range
    assert lo < x1 < hi and fig.layout.yaxis.range[0] < y1 < fig.layout.yaxis.range[1]
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    assert xy(trace(fig, "point")) == ([1.0], [2.0])


def test_contour_holds_h_and_the_default_window_stays_in_the_domain():
    fig = plots.surface_with_gradient(H, {"x": 1.0, "y": 2.0}, x_var="x", y_var="y")
    surface = trace(fig, "surface")
    xs, ys = np.asarray(surface.x), np.asarray(surface.y)
    assert xs.min() > 0 and ys.min() > 0 and xs.min() < 1 < xs.max() and ys.min() < 2 < ys.max()
    X, Y = np.meshgrid(xs, ys)
    np.testing.assert_allclose(np.asarray(surface.z), np.log(X * Y) + np.exp(X * Y), rtol=1e-12)
    # Equal scale: the same grid spacing along both axes.
    assert np.diff(xs).mean() == pytest.approx(np.diff(ys).mean(), rel=0.05)
    # The level line through the point is one of the drawn contours.
    c = surface.contours
    h0 = math.log(2) + math.exp(2)
    assert ((h0 - c.start) / c.size) == pytest.approx(round((h0 - c.start) / c.size), abs=1e-9)


def test_contour_window_crossing_the_axes_leaves_gaps_where_xy_is_not_positive():
    fig = plots.surface_with_gradient(H, {"x": 1.0, "y": 2.0}, x_var="x", y_var="y", span=2)
    surface = trace(fig, "surface")
    X, Y = np.meshgrid(np.asarray(surface.x), np.asarray(surface.y))
    z = np.asarray(surface.z, dtype=float)
    assert np.array_equal(np.isnan(z), X * Y <= 0)
    assert (X * Y <= 0).any()
    assert "undefined" in fig.layout.title.subtitle.text
    strict_json(fig)


def test_gradient_direction_is_exact_for_unequal_components_with_a_fixed_variable():
    g = engine.parse("3x + y z")
    fig = plots.surface_with_gradient(g, {"x": 0.0, "y": 1.0, "z": 2.0}, x_var="x", y_var="y")
    (x0, x1), (y0, y1) = xy(trace(fig, "gradient"))
    assert (y1 - y0) / (x1 - x0) == pytest.approx(2 / 3)  # ∇ = (3, z) with z = 2
    X, Y = np.meshgrid(np.asarray(trace(fig, "surface").x), np.asarray(trace(fig, "surface").y))
    np.testing.assert_allclose(np.asarray(trace(fig, "surface").z), 3 * X + 2 * Y, atol=1e-12)
    assert "z = 2" in fig.layout.title.subtitle.text


def test_point_outside_the_domain_gets_no_arrow():
    fig = plots.surface_with_gradient(H, {"x": -1.0, "y": 2.0}, x_var="x", y_var="y")
    assert not [t for t in fig.data if t.uid in ("gradient", "point")]
    assert "log needs a positive number" in fig.layout.title.subtitle.text
    strict_json(fig)


def test_flat_point_has_no_arrow():
    fig = plots.surface_with_gradient(
        engine.parse("x^2 + y^2"), {"x": 0.0, "y": 0.0}, x_var="x", y_var="y"
    )
    assert not [t for t in fig.data if t.uid == "gradient"]
    assert "(0, 0)" in fig.layout.title.subtitle.text
    strict_json(fig)


# -- every figure -----------------------------------------------------------------------------
FIGURES = {
    "function_and_derivative": lambda: plots.function_and_derivative(SIN, "x", {"x": 1.0}),
    "function_and_derivative 1/x": lambda: plots.function_and_derivative(
        engine.parse("1/x"), "x", {"x": 0.0}
    ),
    "secant_and_tangent": lambda: plots.secant_and_tangent(SIN, "x", {"x": 1.0}, 0.3),
    "difference_error": lambda: plots.difference_error(SIN, "x", {"x": 1.0}, 1e-4),
    "difference_error log": lambda: plots.difference_error(
        engine.parse("log(x)"), "x", {"x": -1.0}, 1e-4
    ),
    "surface_with_gradient": lambda: plots.surface_with_gradient(
        H, {"x": 1.0, "y": 2.0}, x_var="x", y_var="y"
    ),
}


@pytest.mark.parametrize("name", FIGURES)
def test_figures_are_readable_on_a_projector_and_serialize(name):
    fig = FIGURES[name]()
    layout = fig.layout
    assert layout.template.to_plotly_json() == pio.templates["plotly_white"].to_plotly_json()
    assert layout.font.size >= 14 and layout.title.font.size >= 14 and layout.title.text
    assert layout.legend.font.size >= 14
    assert all(a.font.size is None or a.font.size >= 14 for a in layout.annotations)
    assert 300 <= layout.height <= 500
    axes = layout.to_plotly_json()
    x_titles = [axes[k].get("title", {}).get("text") for k in axes if k.startswith("xaxis")]
    y_titles = [axes[k].get("title", {}).get("text") for k in axes if k.startswith("yaxis")]
    assert any(x_titles) and y_titles and all(y_titles)  # every figure names its axes
    strict_json(fig)


def test_the_colours_mean_the_same_thing_in_every_figure():
    fad = plots.function_and_derivative(SIN, "x", {"x": 1.0})
    sec = plots.secant_and_tangent(SIN, "x", {"x": 1.0}, 0.3)
    err = plots.difference_error(SIN, "x", {"x": 1.0}, 1e-4)
    sur = plots.surface_with_gradient(H, {"x": 1.0, "y": 2.0}, x_var="x", y_var="y")
    assert (
        trace(fad, "autodiff").line.color
        == trace(sec, "tangent").line.color
        == trace(sur, "gradient").line.color
        == plots.EXACT_COLOR
    )
    assert (
        trace(fad, "central").line.color
        == trace(sec, "secant").line.color
        == trace(err, "central").line.color
        == plots.NUMERIC_COLOR
    )
    assert (
        trace(fad, "point-f").marker.color
        == trace(sec, "point").marker.color
        == trace(sur, "point").marker.color
        == trace(err, "current-errors").marker.color
        == plots.POINT_COLOR
    )
    assert len({plots.EXACT_COLOR, plots.NUMERIC_COLOR, plots.POINT_COLOR}) == 3
