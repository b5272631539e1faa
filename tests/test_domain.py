"""Numbers out of domain: exp(1000), log(0), 0^-1, sqrt(-1), tan(π/2).

A student who types one of these must see nan or inf, marked at the node where it first
appeared and explained there, in the diagram, the explanation, the plots and the slide file;
never a crash and never a blank page.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import numpy as np
import pytest
from conftest import component_data, screenshot
from streamlit.testing.v1 import AppTest

import engine
from drawing import build_diagram, deck_data, plots, standalone_html
from drawing.diagram import SVG_NS, node_id
from engine.explain import number_text

APP = "../app.py"

# (function, point, the operation that breaks, words of its reason, what it gives)
CASES = [
    ("exp(x)", {"x": 1000.0}, "exp", "exp overflows", math.inf),
    ("log(x)", {"x": 0.0}, "log", "log needs a positive number", -math.inf),
    ("x^-1", {"x": 0.0}, "pow", "zero to a negative power", math.inf),
    ("sqrt(x)", {"x": -1.0}, "sqrt", "sqrt needs a number", math.nan),
    ("exp(1000)", {}, "exp", "exp overflows", math.inf),
    ("log(0)", {}, "log", "log needs a positive number", -math.inf),
    ("0^-1", {}, "pow", "zero to a negative power", math.inf),
    ("sqrt(-1)", {}, "sqrt", "sqrt needs a number", math.nan),
    # The value runs on through the nodes above, but it appeared, and is marked, only once.
    ("2 * exp(x) + 1", {"x": 1000.0}, "exp", "exp overflows", math.inf),
    ("log(x y) * y", {"x": 0.0, "y": 2.0}, "log", "log needs a positive number", -math.inf),
]
IDS = [text for text, *_ in CASES]


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def broken_node(graph: engine.Graph, label: str) -> int:
    [node] = [n.id for n in graph.nodes if n.label == label]
    return node


def forward_frame(trace: engine.Trace, node: int) -> int:
    """The frame (1-based step) at which the forward pass computes `node`."""
    return next(
        k for k, step in enumerate(trace.steps, 1) if step.phase == "forward" and step.node == node
    )


def marked(deck: dict) -> dict[str, int]:
    """Each element ever drawn with bp-warn, and the first frame that does it."""
    first: dict[str, int] = {}
    for k, frame in enumerate(deck["frames"]):
        for element, look in frame["patch"].items():
            if "bp-warn" in look["classes"].split():
                first.setdefault(element, k)
    return first


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def case(request):
    text, point, label, reason, value = request.param
    graph = engine.parse(text)
    trace = graph.trace(point)
    node = broken_node(graph, label)
    return {
        "text": text,
        "point": point,
        "graph": graph,
        "trace": trace,
        "node": node,
        "reason": reason,
        "value": value,
        "deck": deck_data(trace, title=text),
    }


def test_the_trace_warns_at_the_node_where_it_appeared(case):
    trace, node = case["trace"], case["node"]
    assert same(trace.values[node], case["value"])
    assert all(math.isfinite(trace.values[a]) for a in trace.graph.nodes[node].args)
    assert [n for n, _ in trace.warnings] == [node]
    assert case["reason"] in dict(trace.warnings)[node]
    assert same(trace.value, case["value"]) or not math.isfinite(trace.value)


def test_the_diagram_marks_that_node_from_the_step_it_appears(case):
    trace, node = case["trace"], case["node"]
    first = marked(case["deck"])
    assert set(first) == {node_id(node)}
    assert first[node_id(node)] == forward_frame(trace, node)
    shown = case["deck"]["frames"][first[node_id(node)]]["patch"][node_id(node)]["texts"]
    assert number_text(case["value"]) in shown


def test_the_explanation_of_that_step_warns(case):
    html = case["deck"]["frames"][forward_frame(case["trace"], case["node"])]["html"]
    assert 'class="bp-warning"' in html and case["reason"] in html
    # The other forward steps carry no warning.
    others = [
        frame["html"]
        for k, frame in enumerate(case["deck"]["frames"])
        if frame["phase"] == "forward" and k != forward_frame(case["trace"], case["node"])
    ]
    assert not any("bp-warning" in html for html in others)


def test_the_last_frame_still_shows_the_gradient_check(case):
    last = case["deck"]["frames"][-1]["html"]
    assert "bp-check" in last
    for name in case["graph"].variables:
        assert f"<th>{name}</th>" in last


def test_the_slide_file_carries_the_mark_and_the_warning(case):
    page = standalone_html(case["deck"])
    mount = 'mountPlayer(document.getElementById("player"), '
    deck = json.JSONDecoder().raw_decode(page, page.index(mount) + len(mount))[0]
    assert marked(deck) == marked(case["deck"])
    assert case["reason"] in deck["frames"][forward_frame(case["trace"], case["node"])]["html"]


def test_the_step_svg_export_marks_the_node(case):
    diagram = build_diagram(case["trace"])
    k = forward_frame(case["trace"], case["node"])
    svg = ET.fromstring(diagram.svg_at(k).split("\n", 1)[1])
    classes = {g.get("id"): g.get("class", "") for g in svg.iter(f"{{{SVG_NS}}}g")}
    assert "bp-warn" in classes[node_id(case["node"])].split()
    assert not any(
        "bp-warn" in c.split() for element, c in classes.items() if element != node_id(case["node"])
    )


def test_the_plots_build_with_gaps_where_f_is_undefined(case):
    graph, point = case["graph"], case["point"]
    if not graph.variables:
        pytest.skip("a constant has nothing to plot against")
    for variable in graph.variables:
        figures = [
            plots.function_and_derivative(graph, variable, point),
            plots.secant_and_tangent(graph, variable, point, 1e-3),
            plots.difference_error(graph, variable, point, 1e-3),
        ]
        for figure in figures:
            json.loads(figure.to_json())  # serializes as the browser receives it
    if len(graph.variables) == 2:
        plots.surface_with_gradient(
            graph, point, x_var=graph.variables[0], y_var=graph.variables[1]
        ).to_json()
    # Where f is undefined the curve has a gap (NaN), not a line to infinity.
    f_curve = plots.function_and_derivative(graph, graph.variables[0], point).data[0]
    y = np.asarray(f_curve.y, dtype=float)
    assert np.isnan(y).any() and not np.isinf(y).any()


# -- the page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, point, label, reason, value", CASES, ids=IDS)
def test_the_page_shows_the_warning_and_no_error(text, point, label, reason, value):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["expr"] = text
    for name, v in point.items():
        at.query_params[name] = repr(v)
    at.run()
    at.run()  # the run the player asks for once its diagram is on screen: the rest of the page
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    [player] = at.get("bidi_component")
    deck = component_data(player)["deck"]
    assert deck["title"] == text
    assert len(marked(deck)) == 1
    assert any(reason in frame["html"] for frame in deck["frames"])
    if point:  # the table beside central difference lists nan or inf, not an error
        table = at.dataframe[0].value
        assert not all(map(math.isfinite, table["backpropagation"]))


@pytest.mark.parametrize("text", ["tan(x)", "tan(pi/2)"])
def test_tan_at_half_pi_is_large_not_infinite(text):
    # π/2 is not a float: the nearest one is a hair below it, where tan is about 1.6e16.
    graph = engine.parse(text)
    trace = graph.trace({"x": math.pi / 2} if graph.variables else {})
    assert trace.value == pytest.approx(1.633123935319537e16)
    assert not trace.warnings
    deck = deck_data(trace, title=text)
    assert not marked(deck)
    assert any(
        "1.633e16" in "".join(look["texts"])
        for frame in deck["frames"]
        for look in frame["patch"].values()
    )


def test_the_browser_shows_the_mark_and_the_warning(page, app_url):
    query = urlencode({"expr": "log(x)", "x": "0", "step": "1"})
    page.goto(f"{app_url}/?{query}")
    page.get_by_role("button", name="Next step").wait_for(timeout=60_000)
    node = page.locator(f".bp-player g#{node_id(1)}")
    node.wait_for(timeout=30_000)
    assert "bp-warn" in node.get_attribute("class").split()
    assert "−inf" in node.locator("text").all_text_contents()
    explanation = page.locator(".bp-explain").inner_text()
    assert "⚠" in explanation and "log needs a positive number" in explanation
    assert not page.errors
    screenshot(page, "domain-log-0")
