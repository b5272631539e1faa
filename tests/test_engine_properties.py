"""Property tests: random functions, written the many ways a student may type them, against two
independent oracles: central differences and SymPy.

The generator builds an expression tree first and then writes it as text, with random spacing,
implicit multiplication, ^ or **, ln or log, typeset symbols. SymPy builds its function from the
same tree, never from the text, so a parsing mistake cannot hide in both.

Values stay in safe domains by construction: variables lie in [0.5, 2], log and sqrt and negative
powers only ever see an expression that is positive there, relu and abs only an argument whose
sign is known, and tan only an argument between -1 and 1.
"""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import engine

# Repeatable in CI: the same examples on every run, and nothing read from or written to disk.
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# A tree is a tuple: ("var", name), ("num", text), ("const", "pi" | "e"), ("neg", a),
# ("call", function, a), ("bin", operator, a, b), ("pow", a, integer exponent).
Tree = tuple

VARIABLES = ("x", "y", "z")
NUMBERS = ("1", "2", "3", "10", "0.5", ".5", "1.5", "2.5", "0.25", "1e-1", "2.0", "1.5e0")
MAX_DEPTH = 4


# -- the random trees --------------------------------------------------------------------------

# Leaves, variables weighted up so that most functions have some. All are > 0 on the domain.
LEAVES = (
    [("var", v) for v in VARIABLES] * 4
    + [("num", n) for n in NUMBERS]
    + [("const", "pi"), ("const", "e")]
)
# One draw picks the rule, so a tree costs few draws (generation time is most of the budget).
ANY_RULES = (
    "leaf",
    "positive",
    "positive",
    "+",
    "-",
    "*",
    "*",
    "/",
    "neg",
    "sin",
    "cos",
    "tanh",
    "exp",
    "sigmoid",
    "log",
    "sqrt",
    "^2",
    "^3",
    "tan sin",
    "tan cos",
    "tan tanh",
    "relu of negative",
)
POSITIVE_RULES = (
    "leaf",
    "leaf",
    "+",
    "*",
    "*",
    "/",
    "^-2",
    "^-1",
    "^2",
    "^3",
    "exp",
    "sigmoid",
    "sqrt",
    "relu",
    "abs",
    "abs of negative",
    "square plus",
)


@st.composite
def trees(draw: st.DrawFn, depth: int = MAX_DEPTH, positive: bool = False) -> Tree:
    """A random expression; with `positive`, one that is > 0 wherever the variables are > 0."""
    rule = (
        "leaf" if depth == 0 else draw(st.sampled_from(POSITIVE_RULES if positive else ANY_RULES))
    )
    sub = depth - 1
    if rule == "leaf":
        return draw(st.sampled_from(LEAVES))
    if rule == "positive":
        return draw(trees(depth, True))
    if rule in ("+", "-", "*", "/"):
        # A quotient's denominator is positive; in a positive tree everything is.
        return ("bin", rule, draw(trees(sub, positive)), draw(trees(sub, positive or rule == "/")))
    if rule.startswith("^"):
        return ("pow", draw(trees(sub, positive or rule.startswith("^-"))), int(rule[1:]))
    if rule == "neg":
        return ("neg", draw(trees(sub)))
    if rule in ("sin", "cos", "tanh", "exp", "sigmoid"):  # smooth everywhere
        return ("call", rule, draw(trees(sub)))
    if rule in ("log", "sqrt", "relu", "abs"):  # only of something positive
        return ("call", rule, draw(trees(sub, True)))
    if rule.startswith("tan "):  # of a value in [-1, 1], far from the poles at ±π/2
        return ("call", "tan", ("call", rule[4:], draw(trees(sub))))
    if rule == "relu of negative":  # always 0, with slope 0
        return ("call", "relu", ("neg", draw(trees(sub, True))))
    if rule == "abs of negative":  # never of something near 0, where abs has its kink
        return ("call", "abs", ("neg", draw(trees(sub, True))))
    assert rule == "square plus"
    return ("bin", "+", ("pow", draw(trees(sub)), 2), draw(trees(sub, True)))


# -- writing a tree as text --------------------------------------------------------------------

ATOMS = ("var", "num", "const", "call")  # what needs no parentheses as an operand


def write(tree: Tree, rnd: random.Random) -> str:
    """The tree as a student might type it, layout chosen by `rnd`. Every operand that is not
    an atom is put in parentheses, so the text means exactly the tree whatever the precedence
    rules."""

    def space() -> str:
        return rnd.choice(["", "", " "])

    def atom(t: Tree) -> str:
        text = expression(t)
        return text if t[0] in ATOMS else f"({space()}{text}{space()})"

    def expression(t: Tree) -> str:
        kind = t[0]
        if kind in ("var", "num"):
            return t[1]
        if kind == "const":
            return rnd.choice(["pi", "π"]) if t[1] == "pi" else "e"
        if kind == "neg":
            return rnd.choice(["-", "−"]) + atom(t[1])
        if kind == "call":
            name = rnd.choice(["log", "ln"]) if t[1] == "log" else t[1]
            return f"{name}({space()}{expression(t[2])}{space()})"
        if kind == "pow":
            base, k = atom(t[1]), t[2]
            if k in (2, 3) and rnd.random() < 0.3:
                return base + "²³"[k - 2]
            power = rnd.choice(["^", "**", " ^ "])
            exponent = str(k) if k > 0 else rnd.choice([str(k), f"({k})"])
            return base + power + exponent
        _, op, a, b = t
        left, right = atom(a), atom(b)
        if op == "*":
            # Side by side only where the text cannot run together into another token:
            # x2 would be a variable, 2 3 two numbers, (x)2 a mistake.
            if right[0] not in "0123456789.":
                symbol = rnd.choice(["*", " * ", "", "", "", " ", " ", "×", "·"])
            else:
                symbol = rnd.choice(["*", " * ", "×", "·"])
        elif op == "-":
            symbol = space() + rnd.choice(["-", "−"]) + space()
        else:
            symbol = space() + op + space()
        return left + symbol + right

    return space() + expression(tree) + space()


# -- the oracles -------------------------------------------------------------------------------

SYMBOLS = {name: sp.Symbol(name, real=True) for name in VARIABLES}
SYMPY_FUNCTIONS = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "tanh": sp.tanh,
    "sigmoid": lambda z: 1 / (1 + sp.exp(-z)),
    "relu": lambda z: sp.Max(0, z),
    "abs": sp.Abs,
}


def to_sympy(tree: Tree) -> sp.Expr:
    """The same function in SymPy, built from the tree (exact numbers, SymPy's own calculus)."""
    kind = tree[0]
    if kind == "var":
        return SYMBOLS[tree[1]]
    if kind == "num":
        return sp.Rational(tree[1])
    if kind == "const":
        return sp.pi if tree[1] == "pi" else sp.E
    if kind == "neg":
        return -to_sympy(tree[1])
    if kind == "call":
        return SYMPY_FUNCTIONS[tree[1]](to_sympy(tree[2]))
    if kind == "pow":
        return to_sympy(tree[1]) ** tree[2]
    _, op, a, b = tree
    left, right = to_sympy(a), to_sympy(b)
    return {"+": left + right, "-": left - right, "*": left * right, "/": left / right}[op]


def sympy_number(expr: sp.Expr, point: dict[str, float]) -> float:
    return float(expr.evalf(30, subs={SYMBOLS[v]: sp.Float(x, 30) for v, x in point.items()}))


def close(a: float, b: float, rel: float, scale: float = 1.0) -> bool:
    """|a - b| small against b, or against `scale` where cancellation leaves b near 0."""
    return abs(a - b) <= rel * max(abs(b), scale)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Tree, str, dict[str, float]]:
    tree = draw(trees())
    # Layout choices come from one drawn generator: cheap, and still the same on every run.
    text = write(tree, draw(st.randoms(use_true_random=True)))
    point = {v: draw(st.floats(0.5, 2.0)) for v in VARIABLES}
    return tree, text, point


def parse_at(text: str, point: dict[str, float]) -> tuple[engine.Graph, dict[str, float]]:
    """The graph, the point restricted to its variables, and no overflow along the way."""
    g = engine.parse(text, max_nodes=10**4)
    values = {v: point[v] for v in g.variables}
    # Safe domains keep nan away; this keeps away numbers too large to compare meaningfully.
    node_values = g.forward(g.inputs(values))
    assume(all(abs(float(v)) < 1e6 for v in node_values))
    assume(all(abs(d) < 1e6 for d in g.gradient(values).values()))
    return g, values


# -- the properties ----------------------------------------------------------------------------


@PROPERTY
@given(cases())
def test_gradient_matches_central_difference(case: tuple[Tree, str, dict[str, float]]) -> None:
    _, text, point = case
    g, values = parse_at(text, point)
    gradient = g.gradient(values)
    eps = 1e-5
    for v in g.variables:
        along_v = lambda t, v=v: g.evaluate({**values, v: t})  # noqa: E731
        numerical = engine.central_difference(along_v, values[v], eps=eps)
        # Central difference's own error is eps^2 f'''/6 plus round-off, which a steep function
        # such as sin(z^6 + e)^3 makes larger than any fixed tolerance: estimate it from the same
        # difference at 2 eps, whose truncation error is four times as large.
        coarse = engine.central_difference(along_v, values[v], eps=2 * eps)
        truncation = abs(coarse - numerical) / 3
        scale = 1 + abs(g.evaluate(values))
        assert abs(gradient[v] - numerical) <= 1e-5 * scale + 2 * truncation, (
            text,
            v,
            gradient[v],
            numerical,
        )


@PROPERTY
@given(cases())
def test_value_and_gradient_match_sympy(case: tuple[Tree, str, dict[str, float]]) -> None:
    tree, text, point = case
    g, values = parse_at(text, point)
    f = to_sympy(tree)
    # SymPy may cancel a variable (x - x is 0) but can never see one the text does not have.
    assert {s.name for s in f.free_symbols} <= set(g.variables)
    scale = 1 + max(abs(float(v)) for v in g.forward(g.inputs(values)))
    assert close(g.evaluate(values), sympy_number(f, values), 1e-10, scale), text
    gradient = g.gradient(values)
    assert set(gradient) == set(g.variables)
    for v in g.variables:
        expected = sympy_number(sp.diff(f, SYMBOLS[v]), values)
        assert close(gradient[v], expected, 1e-9, scale), (text, v, gradient[v], expected)


@PROPERTY
@given(cases())
def test_text_round_trip(case: tuple[Tree, str, dict[str, float]]) -> None:
    _, text, _ = case
    g = engine.parse(text, max_nodes=10**4)
    assert engine.parse(g.to_text(), max_nodes=10**4) == g
    tree = engine.parse(text, merge=False, max_nodes=10**4)
    assert engine.parse(tree.to_text(), merge=False, max_nodes=10**4) == tree


@PROPERTY
@given(cases())
def test_dag_tree_trace_and_arrays_agree(case: tuple[Tree, str, dict[str, float]]) -> None:
    # The same function four ways: merged DAG, tree, step-by-step trace, and a NumPy array.
    _, text, point = case
    g, values = parse_at(text, point)
    tree = engine.parse(text, merge=False, max_nodes=10**4)
    assert len(tree.nodes) >= len(g.nodes)
    expected = g.gradient(values)
    assert tree.evaluate(values) == pytest.approx(g.evaluate(values), rel=1e-12, abs=1e-12)
    assert tree.gradient(values) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert g.trace(values).gradient == pytest.approx(expected, rel=1e-9, abs=1e-9)
    if g.variables:
        first = g.variables[0]
        grid = np.array([values[first], 0.5, 2.0])
        on_grid = g.gradient({**values, first: grid})
        assert on_grid[first].shape == (3,)
        assert on_grid[first][0] == pytest.approx(expected[first], rel=1e-12, abs=1e-12)


def test_the_trees_use_every_rule() -> None:
    # Guard against a generator so narrow that the properties above test little.
    found: set[str] = set()

    def collect(tree: Tree) -> None:
        kind = tree[0]
        if kind in ("var", "num", "neg"):
            found.add(kind)
        else:
            found.add(f"^{tree[2]}" if kind == "pow" else f"{kind} {tree[1]}")
        for child in tree[1:]:
            if isinstance(child, tuple):
                collect(child)

    @settings(max_examples=150, derandomize=True, database=None, deadline=None)
    @given(trees())
    def run(tree: Tree) -> None:
        collect(tree)

    run()
    expected = {
        "var",
        "num",
        "neg",
        "const pi",
        "const e",
        "bin +",
        "bin -",
        "bin *",
        "bin /",
        "^-2",
        "^-1",
        "^2",
        "^3",
        *(f"call {f}" for f in SYMPY_FUNCTIONS),
    }
    assert expected <= found, expected - found


# Every layout of these trees, over many seeds, must show every form the syntax accepts.
SAMPLE_TREES: list[Tree] = [
    (
        "bin",
        "*",
        ("bin", "*", ("var", "x"), ("var", "y")),
        ("bin", "*", ("num", "2"), ("var", "z")),
    ),
    ("bin", "*", ("var", "x"), ("bin", "+", ("var", "y"), ("num", "1"))),
    (
        "bin",
        "*",
        ("bin", "+", ("var", "x"), ("num", "1")),
        ("bin", "-", ("var", "x"), ("const", "e")),
    ),
    ("bin", "*", ("num", ".5"), ("call", "sin", ("var", "x"))),
    ("bin", "/", ("pow", ("var", "x"), 2), ("pow", ("call", "log", ("var", "y")), -1)),
    ("bin", "-", ("neg", ("pow", ("var", "x"), 3)), ("bin", "*", ("const", "pi"), ("num", "3"))),
]


def test_writing_covers_the_syntax_and_keeps_the_meaning() -> None:
    texts = [write(tree, random.Random(seed)) for tree in SAMPLE_TREES for seed in range(60)]
    everything = "\n".join(texts)
    for form in [
        "-",
        "−",
        "^",
        "**",
        "²",
        "³",
        "*",
        "×",
        "·",
        "π",
        "pi",
        "ln(",
        "log(",
        "^-1",
        "^(-1)",
        " ",
    ]:
        assert form in everything, form
    # Implicit multiplication in each of its kinds: xy, 2z, x(…), (…)(…), .5sin(…), x y.
    for kind in [r"xy", r"2z", r"x ?\(", r"\) ?\(", r"5 ?sin\(", r"x y"]:
        assert re.search(kind, everything), kind
    # And whatever the layout, the text is the tree: the same value as SymPy's.
    point = {"x": 1.3, "y": 0.7, "z": 1.9}
    for tree, text in zip([t for t in SAMPLE_TREES for _ in range(60)], texts, strict=False):
        g = engine.parse(text)
        values = {v: point[v] for v in g.variables}
        assert close(g.evaluate(values), sympy_number(to_sympy(tree), values), 1e-12), text
