"""The engine's behaviour: values and gradients against formulas worked out by hand, the graph's
shape, the trace's steps, domain problems, input checks and the command line.

Every expected number here is computed independently, with `math` or NumPy, from the formula a
student would write down; none is copied from the engine's own output.
"""

from __future__ import annotations

import json
import math
import pickle
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import engine
from engine.__main__ import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
BIG = {"max_length": 10**7, "max_nodes": 10**6, "max_depth": 10**6}  # for the deep graphs


def close(a: float, b: float, rel: float = 1e-12, abs_: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def node_ids(graph: engine.Graph, label: str) -> list[int]:
    """The ids of the nodes with this label (an operation's name, a variable or a number)."""
    return [n.id for n in graph.nodes if n.label == label]


# -- the course's numbers ----------------------------------------------------------------------


def test_sin_of_x_squared_at_3_as_in_the_course() -> None:
    g = engine.parse("sin(x^2)")
    # d/dx sin(x²) = cos(x²)·2x
    assert close(g.evaluate(x=3.0), math.sin(9.0))
    assert close(g.gradient(x=3.0)["x"], math.cos(9.0) * 6.0)
    # The figures the course prints, to four decimals.
    assert round(g.evaluate(x=3.0), 4) == 0.4121
    assert round(g.gradient(x=3.0)["x"], 4) == -5.4668


@pytest.mark.parametrize("x, y", [(1.0, 2.0), (0.5, 0.5), (2.0, 0.25), (0.1, 3.0), (3.0, 1.5)])
def test_log_xy_plus_exp_xy_against_its_partial_derivatives(x: float, y: float) -> None:
    g = engine.parse("log(xy) + exp(xy)")
    assert g.variables == ("x", "y")
    assert close(g.evaluate(x=x, y=y), math.log(x * y) + math.exp(x * y))
    grad = g.gradient(x=x, y=y)
    assert set(grad) == {"x", "y"}
    assert close(grad["x"], 1 / x + y * math.exp(x * y))
    assert close(grad["y"], 1 / y + x * math.exp(x * y))


def test_the_readme_example() -> None:
    grad = engine.parse("log(xy) + exp(xy)").gradient(x=1.0, y=2.0)
    assert round(grad["x"], 3) == 15.778 and round(grad["y"], 3) == 7.889


def test_x_squared_at_1_has_slope_2() -> None:
    assert engine.parse("x^2").gradient(x=1.0) == {"x": 2.0}


# -- regressions of bugs other autodiff tools have had -----------------------------------------


def test_x_times_x_counts_both_argument_positions() -> None:
    # A tool that stores one gradient per input node, not per argument, gets x here, not 2x.
    g = engine.parse("x*x")
    for x in (-2.0, 0.5, 3.0):
        assert g.gradient(x=x)["x"] == 2 * x


def test_x_over_x_has_derivative_zero() -> None:
    # 1/x from the numerator and -x/x² from the denominator cancel exactly.
    for x in (0.3, 1.0, 7.0):
        assert close(engine.parse("x/x").gradient(x=x)["x"], 0.0)


def test_fan_out_of_b_adds_both_paths() -> None:
    # e = (a + b)(b + 1): de/db = (b + 1) + (a + b) = 2 + 3 = 5 at a = 2, b = 1.
    grad = engine.parse("(a+b)(b+1)").gradient(a=2.0, b=1.0)
    assert grad == {"a": 2.0, "b": 5.0}


def test_gradient_twice_gives_the_same_answer() -> None:
    # Tools that accumulate into stored .grad fields double it on the second call.
    g = engine.parse("log(xy) + exp(xy)")
    first = g.gradient(x=1.0, y=2.0)
    assert g.gradient(x=1.0, y=2.0) == first
    assert g.trace(x=1.0, y=2.0).gradient == pytest.approx(first, rel=1e-15)
    assert g.gradient(x=1.0, y=2.0) == first


def test_five_x_plus_three_at_one_is_eight() -> None:
    g = engine.parse("5x+3")
    assert g.evaluate(x=1.0) == 8.0
    assert g.gradient(x=1.0) == {"x": 5.0}


def test_xy_is_x_times_y() -> None:
    g = engine.parse("xy")
    assert g.variables == ("x", "y")
    assert g.evaluate(x=3.0, y=4.0) == 12.0
    assert g.gradient(x=3.0, y=4.0) == {"x": 4.0, "y": 3.0}


@pytest.fixture(scope="module")
def chain() -> engine.Graph:
    """x + x + ... + x, 100,000 terms: a chain of additions 99,999 deep."""
    return engine.parse("+".join(["x"] * 100_000), max_length=10**7, max_nodes=10**6)


def test_deep_chain_is_really_deep(chain: engine.Graph) -> None:
    assert len(chain.nodes) == 100_000  # x and 99,999 additions
    depth, node = 0, chain.nodes[chain.output]
    while node.args:
        depth, node = depth + 1, chain.nodes[node.args[0]]
    assert depth == 99_999


def test_deep_chain_evaluates_and_differentiates(chain: engine.Graph) -> None:
    assert chain.evaluate(x=1.5) == 150_000.0
    assert chain.gradient(x=1.5) == {"x": 100_000.0}


def test_deep_chain_traces(chain: engine.Graph) -> None:
    trace = chain.trace(x=1.5)
    assert trace.value == 150_000.0
    assert trace.gradient == {"x": 100_000.0}
    assert len(trace.order) == 100_000
    assert trace.state_at(len(trace)).grads[0] == 100_000.0


def test_deep_chain_round_trips_through_text(chain: engine.Graph) -> None:
    # to_text writes 99,999 nested parentheses; both directions must be iterative.
    assert engine.parse(chain.to_text(), **BIG) == chain


def test_deeply_nested_functions() -> None:
    depth = 10_000
    g = engine.parse("sin(" * depth + "x" + ")" * depth, **BIG)
    # The chain rule by hand: the product of cos at every level.
    value, slope = 0.7, 1.0
    for _ in range(depth):
        value, slope = math.sin(value), slope * math.cos(value)
    assert close(g.evaluate(x=0.7), value)
    assert close(g.gradient(x=0.7)["x"], slope, rel=1e-9)


# -- every syntax form -------------------------------------------------------------------------

X, Y, Z, T, P = 1.3, 0.7, 2.1, 0.9, 1.7
POINT = {"x": X, "y": Y, "z": Z, "t": T, "p": P}


def sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


SYNTAX: list[tuple[str, float]] = [
    # numbers
    ("2", 2.0),
    ("2.5", 2.5),
    (".5", 0.5),
    ("1e-3", 0.001),
    ("1.5e3", 1500.0),
    ("2E2", 200.0),
    ("3.", 3.0),
    # operators, precedence and associativity
    ("x + y", X + Y),
    ("x - y", X - Y),
    ("x * y", X * Y),
    ("x / y", X / Y),
    ("x - y - z", (X - Y) - Z),
    ("x / y / z", (X / Y) / Z),
    ("x - y + z", X - Y + Z),
    ("x + y * z", X + Y * Z),
    ("x * y ^ 2", X * Y**2),
    ("x ^ 2", X**2),
    ("x ** 2", X**2),
    ("2^3^2", 2.0**9),
    ("2**3**2", 2.0**9),
    ("(2^3)^2", 64.0),
    ("-x", -X),
    ("+x", X),
    ("-x^2", -(X**2)),
    ("--x", X),
    ("-(x + y)", -(X + Y)),
    ("x - -y", X + Y),
    ("2 * -x", -2 * X),
    ("y^-1", 1 / Y),
    ("10^-2 x", 0.01 * X),
    ("x^-2", X**-2),
    ("2^-x", 2**-X),
    ("-2^2", -4.0),
    ("(-2)^2", 4.0),
    ("((x))", X),
    ("(x + y)(x - y)", (X + Y) * (X - Y)),
    # implicit multiplication, with the precedence of *
    ("2x", 2 * X),
    ("xy", X * Y),
    ("xyz", X * Y * Z),
    ("3x^2", 3 * X**2),
    ("x(y+1)", X * (Y + 1)),
    ("(x+1)(x-1)", (X + 1) * (X - 1)),
    ("2sin(x)cos(x)", 2 * math.sin(X) * math.cos(X)),
    ("x exp(y)", X * math.exp(Y)),
    ("pi x^2", math.pi * X**2),
    ("t log(p)", T * math.log(P)),
    ("x/2y", X / 2 * Y),
    ("2 x y", 2 * X * Y),
    ("(x)y", X * Y),
    ("sin(x)y", math.sin(X) * Y),
    ("2(x)", 2 * X),
    ("x sin(x)", X * math.sin(X)),
    ("xsin(x)", X * math.sin(X)),
    ("2^x y", 2**X * Y),
    ("-2x", -2 * X),
    ("1/2x", 0.5 * X),
    ("2pi", 2 * math.pi),
    ("pix", math.pi * X),
    ("2e", 2 * math.e),
    ("xe", X * math.e),
    # functions
    ("sin(x)", math.sin(X)),
    ("cos(x)", math.cos(X)),
    ("tan(x)", math.tan(X)),
    ("exp(x)", math.exp(X)),
    ("log(x)", math.log(X)),
    ("ln(x)", math.log(X)),
    ("sqrt(x)", math.sqrt(X)),
    ("tanh(x)", math.tanh(X)),
    ("sigmoid(x)", sigmoid(X)),
    ("sigmoid(-x)", sigmoid(-X)),
    ("relu(x)", X),
    ("relu(-x)", 0.0),
    ("abs(-x)", X),
    ("sin (x)", math.sin(X)),
    ("sin(x)^2", math.sin(X) ** 2),
    ("exp(-x^2)", math.exp(-(X**2))),
    ("log(exp(x))", X),
    ("sqrt(x^2 + y^2)", math.hypot(X, Y)),
    # constants
    ("pi", math.pi),
    ("π", math.pi),
    ("e", math.e),
    ("e^x", math.exp(X)),
    ("e^-x", math.exp(-X)),
    ("2πx", 2 * math.pi * X),
    # typeset characters
    ("x × y", X * Y),
    ("x · y", X * Y),
    ("x − y", X - Y),
    ("x²", X**2),
    ("x³", X**3),
    ("2x² + y³", 2 * X**2 + Y**3),
    ("−x", -X),
    # spacing
    ("  x+y  ", X + Y),
    ("x\t+\ty", X + Y),
]


@pytest.mark.parametrize("text, expected", SYNTAX, ids=[t for t, _ in SYNTAX])
def test_syntax_form_has_the_right_value(text: str, expected: float) -> None:
    g = engine.parse(text)
    values = {v: POINT[v] for v in g.variables}
    assert close(g.evaluate(values), expected, rel=1e-12, abs_=1e-15)


@pytest.mark.parametrize(
    "text, variables",
    [
        ("log(xy) + exp(xy)", ("x", "y")),
        ("y + x", ("y", "x")),
        ("xyz", ("x", "y", "z")),
        ("w1 x_2 + b", ("w1", "x_2", "b")),
        ("x_10 + x1", ("x_10", "x1")),
        ("alpha beta", ("alpha", "beta")),
        ("αβ", ("alpha", "beta")),
        ("θ + theta", ("theta",)),
        (
            "gamma delta theta lambda mu sigma omega",
            ("gamma", "delta", "theta", "lambda", "mu", "sigma", "omega"),
        ),
        ("γδλμσω", ("gamma", "delta", "lambda", "mu", "sigma", "omega")),
        ("theta1 + θ_2", ("theta1", "theta_2")),
        ("thetax", ("theta", "x")),
        ("pi x + e", ("x",)),
        ("e^x", ("x",)),
        ("2", ()),
        ("sigmoid(w x + b)", ("w", "x", "b")),
        ("theta(x + 1)", ("theta", "x")),
        ("sigma(x)", ("x",)),
        ("sigma*(x)", ("sigma", "x")),
    ],
)
def test_variables_in_order_of_first_appearance(text: str, variables: tuple[str, ...]) -> None:
    assert engine.parse(text).variables == variables


def test_greek_variable_before_parenthesis_multiplies() -> None:
    # theta(x + 1) reads like x(y + 1): a product, not a call of an unknown function.
    g = engine.parse("theta(x + 1)")
    assert g.evaluate(theta=2.0, x=0.5) == 3.0
    assert g.gradient(theta=2.0, x=0.5) == {"theta": 1.5, "x": 2.0}


def test_e_is_never_a_variable() -> None:
    g = engine.parse("e^x + ex")
    assert g.variables == ("x",)
    # d/dx (e^x + e·x) = e^x + e
    assert close(g.gradient(x=0.4)["x"], math.exp(0.4) + math.e)


def test_sigmoid_and_relu_derivatives() -> None:
    s = sigmoid(0.3)
    assert close(engine.parse("sigmoid(x)").gradient(x=0.3)["x"], s * (1 - s))
    assert engine.parse("relu(x)").gradient(x=0.3) == {"x": 1.0}
    assert engine.parse("relu(x)").gradient(x=-0.3) == {"x": 0.0}
    # sigmoid stays finite far out on both sides, where 1/(1 + e^-x) would overflow.
    assert engine.parse("sigmoid(x)").evaluate(x=-800.0) == 0.0
    assert engine.parse("sigmoid(x)").evaluate(x=800.0) == 1.0


@pytest.mark.parametrize(
    "text, partials",
    [
        ("x^3", lambda x, y: (3 * x**2, 0.0)),
        ("x^y", lambda x, y: (y * x ** (y - 1), x**y * math.log(x))),
        ("x/y", lambda x, y: (1 / y, -x / y**2)),
        ("x - y", lambda x, y: (1.0, -1.0)),
        ("tan(x) + cos(y)", lambda x, y: (1 / math.cos(x) ** 2, -math.sin(y))),
        ("sqrt(xy)", lambda x, y: (y / (2 * math.sqrt(x * y)), x / (2 * math.sqrt(x * y)))),
        ("tanh(x - y)", lambda x, y: (1 - math.tanh(x - y) ** 2, -(1 - math.tanh(x - y) ** 2))),
        ("abs(x - y)", lambda x, y: (math.copysign(1, x - y), -math.copysign(1, x - y))),
        ("-x^2 y", lambda x, y: (-2 * x * y, -(x**2))),
    ],
)
def test_partial_derivatives_of_each_operation(
    text: str, partials: Callable[[float, float], tuple[float, float]]
) -> None:
    g = engine.parse(text + " + 0y")  # so that y is a variable even where it is unused
    for x, y in [(1.3, 0.7), (0.4, 2.2)]:
        grad = g.gradient(x=x, y=y)
        expected = partials(x, y)
        assert close(grad["x"], expected[0], rel=1e-12) and close(grad["y"], expected[1], rel=1e-12)


def test_central_difference_is_the_symmetric_secant() -> None:
    f = math.exp
    assert engine.central_difference(f, 1.0, eps=1e-4) == (f(1.0 + 1e-4) - f(1.0 - 1e-4)) / 2e-4
    assert engine.central_difference(f, 1.0) == engine.central_difference(f, 1.0, eps=1e-4)
    assert abs(engine.central_difference(f, 1.0) - math.e) < 1e-7  # error of order eps²


# -- NumPy arrays ------------------------------------------------------------------------------


def test_evaluate_and_gradient_over_an_array() -> None:
    g = engine.parse("log(xy) + exp(xy)")
    x = np.linspace(0.1, 3, 1000)
    value = g.evaluate(x=x, y=2.0)
    assert isinstance(value, np.ndarray) and value.shape == (1000,)
    np.testing.assert_allclose(value, np.log(2 * x) + np.exp(2 * x), rtol=1e-13)
    grad = g.gradient(x=x, y=2.0)
    np.testing.assert_allclose(grad["x"], 1 / x + 2 * np.exp(2 * x), rtol=1e-13)
    np.testing.assert_allclose(grad["y"], 1 / 2 + x * np.exp(2 * x), rtol=1e-13)
    assert grad["y"].shape == (1000,)  # a scalar y still gets one partial per grid point


def test_arrays_broadcast_to_a_grid() -> None:
    g = engine.parse("x^2 y + 3")
    x, y = np.meshgrid(np.linspace(-1, 1, 7), np.linspace(0, 2, 5))
    np.testing.assert_allclose(g.evaluate(x=x, y=y), x**2 * y + 3)
    grad = g.gradient(x=x, y=y)
    np.testing.assert_allclose(grad["x"], 2 * x * y)
    np.testing.assert_allclose(grad["y"], x**2)
    assert grad["x"].shape == grad["y"].shape == (5, 7)


def test_constant_parts_broadcast_over_arrays() -> None:
    # d/dy of 2x + y is 1 everywhere, even though no array flows through y's own path.
    grad = engine.parse("2x + y").gradient(x=np.array([1.0, 2.0, 3.0]), y=1.0)
    np.testing.assert_array_equal(grad["x"], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(grad["y"], [1.0, 1.0, 1.0])


def test_lists_are_read_as_arrays() -> None:
    np.testing.assert_allclose(engine.parse("x^2").evaluate(x=[1, 2, 3]), [1.0, 4.0, 9.0])


# -- the graph ---------------------------------------------------------------------------------


def test_identical_subexpressions_are_one_node() -> None:
    g = engine.parse("log(xy) + exp(xy)")
    assert len(g.nodes) == 6
    assert sorted(n.label for n in g.nodes) == sorted(["x", "y", "mul", "log", "exp", "add"])
    (mul,) = node_ids(g, "mul")
    users = {g.nodes[u].label for u, _ in g.consumers()[mul]}
    assert users == {"log", "exp"}  # the product fans out
    assert sorted((e.source, g.nodes[e.target].label) for e in g.edges if e.source == mul) == [
        (mul, "exp"),
        (mul, "log"),
    ]
    assert g.nodes[g.output].label == "add"


def test_merge_false_builds_the_tree() -> None:
    g = engine.parse("log(xy) + exp(xy)", merge=False)
    assert len(g.nodes) == 9  # x, y, · and log; x, y, · and exp; +
    assert len(node_ids(g, "mul")) == 2 and len(node_ids(g, "x")) == 2
    # In a tree every node but the output has exactly one user.
    assert all(len(users) == 1 for i, users in enumerate(g.consumers()) if i != g.output)
    # Each box of x and y gets its share; together they are the full partial derivative.
    assert g.gradient(x=1.0, y=2.0) == pytest.approx(
        {"x": 1 + 2 * math.exp(2), "y": 0.5 + math.exp(2)}, rel=1e-14
    )


def test_every_node_comes_after_its_inputs() -> None:
    for text in ["log(xy) + exp(xy)", "(a+b)(b+1)", "sin(x^2) + x^2", "x*x*x/x"]:
        g = engine.parse(text)
        assert all(a < n.id for n in g.nodes for a in n.args)
        order = g.topological_order()
        place = {node: k for k, node in enumerate(order)}
        # Every node the diagram draws, once; the 2 of a square is not an input, so not ordered.
        assert sorted(order) == [n.id for n in g.nodes if g.drawn[n.id]]
        assert all(place[a] < place[n.id] for n in g.nodes if n.id in place for a in n.inputs)
        assert order[-1] == g.output


def test_x_times_x_has_two_edges_from_x() -> None:
    g = engine.parse("x*x")
    assert len(g.nodes) == 2
    assert [(e.source, e.target, e.position) for e in g.edges] == [(0, 1, 0), (0, 1, 1)]


def test_a_graph_pickles_after_use() -> None:
    # Caches (a web app's, a process pool's) pickle graphs; one that has computed must still.
    g = engine.parse("sigmoid(w x + b)")
    point = {"w": 0.5, "x": 2.0, "b": -0.5}
    expected = g.gradient(point)
    copy = pickle.loads(pickle.dumps(g))  # noqa: S301 (the test's own graph, not outside data)
    assert copy == g and copy.gradient(point) == expected


def test_equal_numbers_are_one_node() -> None:
    g = engine.parse("2x + 2y")
    assert len(node_ids(g, "2")) == 1


@pytest.mark.parametrize(
    "text",
    [
        "log(xy) + exp(xy)",
        "2x^2 + 3.50x - 1e-3",
        "-x^2",
        "sigmoid(w x + b)",
        "(a+b)(b+1)",
        "2^3^2",
        "π x + e^-x",
        "θ_1 x_2 + .5",
        "x/(y z)",
        "ln(x)",
        "y^-1",
    ],
)
def test_to_text_parses_back_to_the_same_graph(text: str) -> None:
    g = engine.parse(text)
    assert engine.parse(g.to_text()) == g
    tree = engine.parse(text, merge=False)
    assert engine.parse(tree.to_text(), merge=False) == tree


# -- the trace ---------------------------------------------------------------------------------


@pytest.fixture
def trace() -> engine.Trace:
    return engine.parse("log(xy) + exp(xy)").trace(x=1.0, y=2.0)


def test_trace_phases_come_in_order(trace: engine.Trace) -> None:
    phases = [step.phase for step in trace.steps]
    # forward..., order..., backward..., each one contiguous block
    assert [p for k, p in enumerate(phases) if k == 0 or phases[k - 1] != p] == list(engine.PHASES)
    for phase in engine.PHASES:
        numbers = trace.phase_range(phase)
        assert all(trace.steps[k - 1].phase == phase for k in numbers)
        assert len(numbers) == phases.count(phase)


def test_forward_steps_use_only_values_already_computed(trace: engine.Trace) -> None:
    g = trace.graph
    known = {n.id for n in g.nodes if n.kind != "operation"}
    forward = [s for s in trace.steps if isinstance(s, engine.ForwardStep)]
    assert sorted(s.node for s in forward) == [n.id for n in g.nodes if n.kind == "operation"]
    for step in forward:
        args = g.nodes[step.node].args
        assert all(a in known for a in args)
        assert step.inputs == tuple(trace.values[a] for a in args)
        known.add(step.node)
    x, y = 1.0, 2.0
    assert close(trace.value, math.log(x * y) + math.exp(x * y))


def test_order_steps_are_a_depth_first_search(trace: engine.Trace) -> None:
    g = trace.graph
    order_steps = [s for s in trace.steps if isinstance(s, engine.OrderStep)]
    entered: set[int] = set()
    finished: list[int] = []
    for step in order_steps:
        if step.action == "enter":
            assert step.node not in entered
            entered.add(step.node)
        elif step.action == "finish":
            assert step.node in entered and step.node not in finished
            assert all(a in finished for a in g.nodes[step.node].args)
            assert step.position == len(finished)
            finished.append(step.node)
        else:
            assert step.node in entered  # a skip is an edge to a node seen before
    assert order_steps[0].node == g.output and order_steps[0].via is None
    assert tuple(finished) == trace.order
    # The product xy is reached twice, from log and from exp: exactly one skip, from the second.
    (mul,) = node_ids(g, "mul")
    skips = [s for s in order_steps if s.action == "skip"]
    assert [(s.node, g.nodes[s.via].label) for s in skips] in ([(mul, "exp")], [(mul, "log")])


def test_backward_runs_in_reverse_topological_order(trace: engine.Trace) -> None:
    g = trace.graph
    backward = [s for s in trace.steps if isinstance(s, engine.BackwardStep)]
    assert [s.node for s in backward] == list(reversed(trace.order))
    assert backward[0].node == g.output and backward[0].d_out == 1.0 and not backward[0].received
    # A node fires only after every user has sent it its contribution.
    fired: set[int] = set()
    for step in backward:
        assert all(user in fired for user, _ in g.consumers()[step.node])
        assert {r.sender for r in step.received} == {u for u, _ in g.consumers()[step.node]}
        assert close(step.d_out, sum(r.amount for r in step.received) or 1.0)
        for send in step.sends:
            assert close(send.contribution, step.d_out * send.local)
        fired.add(step.node)


def test_state_at_shows_values_and_running_sums(trace: engine.Trace) -> None:
    g = trace.graph
    x, y = 1.0, 2.0
    (mul,) = node_ids(g, "mul")
    (log,) = node_ids(g, "log")
    (exp,) = node_ids(g, "exp")

    start = trace.state_at(0)
    assert start.step is None and start.phase is None
    assert start.values == {node_ids(g, "x")[0]: x, node_ids(g, "y")[0]: y}
    assert start.grads == {}

    after_forward = trace.state_at(len(trace.phase_range("forward")))
    assert close(after_forward.values[mul], x * y)
    assert close(after_forward.values[log], math.log(x * y))
    assert close(after_forward.values[exp], math.exp(x * y))
    assert after_forward.passed[(log, 0)] == after_forward.values[mul]

    after_order = trace.state_at(trace.phase_range("order")[-1])
    assert after_order.order == list(trace.order) and after_order.stack == []
    assert after_order.grads == {}

    # The product receives from log and from exp; d_out grows as each contribution arrives.
    sums = []
    for k in trace.phase_range("backward"):
        state = trace.state_at(k)
        if mul in state.grads and (not sums or sums[-1] != state.grads[mul]):
            sums.append(state.grads[mul])
    contributions = {log: 1 / (x * y), exp: math.exp(x * y)}
    first_sender = next(
        s.node
        for s in trace.steps
        if isinstance(s, engine.BackwardStep) and s.node in contributions
    )
    assert len(sums) == 2
    assert close(sums[0], contributions[first_sender])
    assert close(sums[1], 1 / (x * y) + math.exp(x * y))

    end = trace.state_at(len(trace))
    assert close(end.grads[node_ids(g, "x")[0]], 1 / x + y * math.exp(x * y))
    assert close(end.grads[node_ids(g, "y")[0]], 1 / y + x * math.exp(x * y))
    assert end.done == set(range(len(g.nodes)))
    with pytest.raises(IndexError):
        trace.state_at(len(trace) + 1)


def test_states_replay_the_same_as_state_at(trace: engine.Trace) -> None:
    for k, state in enumerate(trace.states()):
        again = trace.state_at(k)
        assert (state.index, state.values, state.grads, state.order) == (
            again.index,
            again.values,
            again.grads,
            again.order,
        )


@pytest.mark.parametrize(
    "text, point",
    [
        ("log(xy) + exp(xy)", {"x": 1.0, "y": 2.0}),
        ("sin(x^2) + x/y - sqrt(y)", {"x": 3.0, "y": 1.5}),
        ("sigmoid(w x + b)^2", {"w": 0.5, "x": -1.2, "b": 0.3}),
        ("x^y + tanh(x y)", {"x": 1.7, "y": 0.6}),
    ],
)
def test_numerical_local_derivatives_agree_with_symbolic(
    text: str, point: dict[str, float]
) -> None:
    g = engine.parse(text)
    symbolic = g.trace(point, local="symbolic")
    numerical = g.trace(point, local="numerical", eps=1e-5)
    assert symbolic.local == "symbolic" and numerical.local == "numerical"
    assert numerical.gradient == pytest.approx(symbolic.gradient, rel=1e-7)
    assert symbolic.gradient == pytest.approx(g.gradient(point), rel=1e-14)
    for step in numerical.steps:
        if isinstance(step, engine.BackwardStep):
            for send in step.sends:
                f_plus, f_minus = send.numerical
                assert close(send.local, (f_plus - f_minus) / (2 * 1e-5))


def test_trace_refuses_bad_options() -> None:
    g = engine.parse("x^2")
    with pytest.raises(ValueError):
        g.trace(x=1.0, local="finite")
    with pytest.raises(ValueError):
        g.trace(x=1.0, local="numerical", eps=0.0)
    with pytest.raises(ValueError):
        g.trace(x=np.array([1.0, 2.0]))


# -- domain problems ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, point, label, expect",
    [
        ("log(x) + x^2", {"x": -1.0}, "log", math.isnan),
        ("log(x) + x^2", {"x": 0.0}, "log", math.isinf),
        ("sqrt(x) + x", {"x": -1.0}, "sqrt", math.isnan),
        ("1/x + x", {"x": 0.0}, "div", math.isinf),
        ("1/0 + x", {"x": 2.0}, "div", math.isinf),
        ("exp(x) - x", {"x": 1000.0}, "exp", math.isinf),
        ("x^2 + 1", {"x": 1e200}, "pow", math.isinf),
    ],
)
def test_domain_problems_give_nan_or_inf_and_a_warning_at_their_node(
    text: str, point: dict[str, float], label: str, expect: Callable[[float], bool]
) -> None:
    g = engine.parse(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a RuntimeWarning from NumPy
        value = g.evaluate(point)
        g.gradient(point)
        traces = [g.trace(point, local=local) for local in ("symbolic", "numerical")]
    assert expect(value)
    (node,) = node_ids(g, label)
    for trace in traces:
        assert expect(trace.values[node])
        # Marked where it first appeared, not at every node it spread to.
        assert [n for n, _ in trace.warnings] == [node]
        assert trace.warnings[0][1]


def test_a_local_derivative_that_blows_up_is_marked() -> None:
    # sqrt is fine at 0 but its slope 1/(2√z) is not.
    trace = engine.parse("sqrt(x)").trace(x=0.0)
    assert trace.value == 0.0 and trace.gradient["x"] == math.inf
    assert [n for n, _ in trace.warnings] == node_ids(trace.graph, "sqrt")


def test_finite_functions_have_no_warnings() -> None:
    assert engine.parse("log(xy) + exp(xy)").trace(x=1.0, y=2.0).warnings == ()


# -- checking the values -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["evaluate", "gradient", "trace"])
def test_a_missing_value_is_a_clear_error(method: str) -> None:
    g = engine.parse("xy")
    with pytest.raises(ValueError, match="missing.*y"):
        getattr(g, method)(x=1.0)


@pytest.mark.parametrize("method", ["evaluate", "gradient", "trace"])
def test_an_extra_value_is_a_clear_error(method: str) -> None:
    g = engine.parse("xy")
    with pytest.raises(ValueError, match="z is not a variable"):
        getattr(g, method)(x=1.0, y=2.0, z=3.0)


@pytest.mark.parametrize("bad", ["1", None, True, b"1", [1, "a"], {"a": 1}, 1 + 2j])
def test_a_value_that_is_not_a_number_is_a_clear_error(bad: object) -> None:
    with pytest.raises(ValueError, match="value of x must be a number"):
        engine.parse("x + y").gradient(x=bad, y=1.0)


def test_an_integer_too_large_for_a_float_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="too large"):
        engine.parse("x").evaluate(x=10**400)


def test_values_may_come_as_a_dict_or_keywords() -> None:
    g = engine.parse("x - y")
    assert g.evaluate({"x": 5.0, "y": 2.0}) == g.evaluate(x=5.0, y=2.0) == 3.0
    assert g.evaluate({"x": 5.0}, y=2.0) == 3.0
    assert engine.parse("2 + 3").evaluate() == 5.0  # a constant needs no values
    # Integers, NumPy scalars and 0-d arrays are numbers too.
    assert g.evaluate(x=5, y=np.float32(2.0)) == g.evaluate(x=np.array(5.0), y=2) == 3.0


def test_parse_errors_are_value_errors() -> None:
    assert issubclass(engine.ParseError, ValueError)


# -- the command line --------------------------------------------------------------------------


def printed_numbers(text: str) -> dict[str, float]:
    """{'value': ..., 'd/dx': ...} from the CLI's plain output, written as the explanations
    write numbers (4 significant digits, −5.467 with a real minus)."""
    return {
        m[1]: float(m[2].replace("−", "-"))
        for m in re.finditer(r"^(value|d/d\w+): (\S+)$", text, re.M)
    }


def test_cli_prints_value_and_gradient(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["log(xy)+exp(xy)", "x=1", "y=2"]) == 0
    out = printed_numbers(capsys.readouterr().out)
    assert set(out) == {"value", "d/dx", "d/dy"}
    assert close(out["value"], math.log(2) + math.exp(2), rel=5e-4)
    assert close(out["d/dx"], 1 + 2 * math.exp(2), rel=5e-4)
    assert close(out["d/dy"], 0.5 + math.exp(2), rel=5e-4)


def test_cli_json_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["sin(x^2)", "x=3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert close(data["value"], math.sin(9))
    assert close(data["gradient"]["x"], 6 * math.cos(9))
    assert data["inputs"] == {"x": 3.0} and data["warnings"] == []


def test_cli_json_spells_out_nan_and_lists_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["log(x)", "x=-1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["value"] == "nan" and len(data["warnings"]) == 1


def test_cli_trace_prints_every_step(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["x*x", "x=3", "--trace"]) == 0
    out = capsys.readouterr().out
    counters = re.findall(r"^\[(\d+)/(\d+)\]", out, re.M)
    total = int(counters[0][1])
    assert [int(k) for k, _ in counters] == list(range(total + 1))
    # Forward, then ordering, then backward, as titled on each step.
    titles = [line for line in out.splitlines() if line.startswith("[")]
    first = {
        phase: next(k for k, t in enumerate(titles) if title in t)
        for phase, title in engine.PHASE_TITLES.items()
    }
    assert first["forward"] < first["order"] < first["backward"]
    assert printed_numbers(out) == {"value": 9.0, "d/dx": 6.0}


def test_cli_numerical_local_derivatives(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["exp(x)", "x=0.5", "--local", "numerical", "--eps", "1e-5"]) == 0
    out = printed_numbers(capsys.readouterr().out)
    assert close(out["d/dx"], math.exp(0.5), rel=5e-4)


def test_cli_parse_error_shows_a_caret_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["x + * y", "x=1", "y=2"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0].startswith("error:")
    k = lines.index("x + * y")
    assert lines[k + 1] == " " * 4 + "^"  # under the *


def test_cli_missing_value_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["x + y", "x=1"]) == 2
    assert "missing a value for y" in capsys.readouterr().err


def test_cli_as_a_program() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "engine", "log(xy)+exp(xy)", "x=1", "y=2", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert close(json.loads(run.stdout)["gradient"]["y"], 0.5 + math.exp(2))
    bad = subprocess.run(
        [sys.executable, "-m", "engine", "sin x", "x=1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert "sin(x)" in bad.stderr and re.search(r"^ *\^$", bad.stderr, re.M)
