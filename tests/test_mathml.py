"""The MathML writer for the explanations' LaTeX (drawing/mathml.py) against latex2mathml.

Oracle: latex2mathml, which the deck used for every formula before. For every formula the
explanations write (the course's functions, every op of engine/ops.py's table at ordinary and
edge points, both local modes, forward mode, collapsed boxes, generated functions) the writer
must handle it itself and give latex2mathml's output byte for byte; anything else it must hand
to latex2mathml unchanged.
"""

from __future__ import annotations

import math
import random

import pytest
from conftest import COURSE
from latex2mathml.converter import convert

import engine
from drawing.deck import math_html
from drawing.mathml import to_mathml, written_here
from engine.collapse import collapse
from engine.explain import Explanation, explain
from engine.forward_mode import explain_forward_mode, forward_mode
from engine.ops import FUNCTIONS, GREEK, OPS, Op

# The course's functions and more that students type: Greek letters, superscripts, subscripts.
TYPED = [
    *COURSE,
    "relu(x) - abs(y)",
    "e^(-x^2/2)/sqrt(2pi)",
    "α x² + β x + γ",
    "x_1^2 + θ_2^3",
]
# Ordinary points and edges: kinks at 0, negatives, tiny and huge numbers, overflow, nan.
POINTS = (0.0, 1.0, -2.5, 1e-8, -1e8, math.pi / 2, 710.0, math.nan)


def typed(op: Op) -> list[str]:
    """Functions that use `op`: by name or operator, on variables, constants and negatives."""
    if op.arity == 1:
        if op.spellings:
            return [f"{op.spellings[0]}x", f"{op.spellings[0]}(x_1 + y)"]
        name = next(n for n, target in FUNCTIONS.items() if target == op.name)
        return [f"{name}(x)", f"{name}(x*θ)", f"{name}(-1)"]
    s = op.spellings[0]
    return [f"x{s}y", f"x{s}2", f"2{s}x_1", f"x{s}(-1)", f"(-1){s}x", f"x{s}x"]


def generated(count: int, seed: int = 10) -> list[str]:
    """Random functions over every op, named variables and constants, nested a few deep."""
    rng = random.Random(seed)
    leaves = ["x", "y", "w1", "θ", "x_2", "2", "0.5", "pi", "3"]
    unary = [op for op in OPS.values() if op.arity == 1]
    binary = [op for op in OPS.values() if op.arity == 2]

    def expression(depth: int) -> str:
        if depth == 0 or rng.random() < 0.25:
            return rng.choice(leaves)
        if rng.random() < 0.4:
            op = rng.choice(unary)
            name = next((n for n, target in FUNCTIONS.items() if target == op.name), None)
            inner = expression(depth - 1)
            return f"{name}({inner})" if name else f"{op.spellings[0]}({inner})"
        op = rng.choice(binary)
        return f"({expression(depth - 1)}){op.spellings[0]}({expression(depth - 1)})"

    return [expression(3) for _ in range(count)]


def explanations_of(text: str, points: tuple[float, ...]) -> list[Explanation]:
    graph = engine.parse(text)
    found = []
    for x in points:
        point = {v: x if i % 2 == 0 else 2.0 for i, v in enumerate(graph.variables)}
        for local in ("symbolic", "numerical"):
            trace = graph.trace(point, local=local)
            found += [explain(trace, k) for k in range(len(trace) + 1)]
        for wrt in graph.variables[:2]:
            tangents = forward_mode(graph, point, wrt=wrt)
            found += [explain_forward_mode(tangents, k) for k in range(len(tangents.steps) + 1)]
    operations = [n.id for n in graph.nodes if n.kind == "operation" and graph.needs_gradient[n.id]]
    if len(operations) > 1:  # an inner subexpression of the variables as one box
        boxed = collapse(graph, operations[-2:-1], hide_constants=True)
        trace = boxed.trace({v: 1.5 for v in boxed.variables})
        found += [explain(trace, k) for k in range(len(trace) + 1)]
    return found


def formulas(texts: list[str], points: tuple[float, ...]) -> set[str]:
    return {
        segment.latex
        for text in texts
        for explanation in explanations_of(text, points)
        for line in explanation.lines
        for segment in line
        if segment.latex is not None
    }


def assert_written_as_latex2mathml(latex_set: set[str]) -> None:
    outside = sorted(latex for latex in latex_set if written_here(latex) is None)
    assert not outside, f"{len(outside)} formulas left to latex2mathml, e.g. {outside[:3]}"
    differ = [latex for latex in sorted(latex_set) if written_here(latex) != convert(latex)]
    assert not differ, f"{len(differ)} formulas differ from latex2mathml, e.g. {differ[:3]}"


def test_the_course_s_formulas_are_written_as_latex2mathml_writes_them() -> None:
    found = formulas(TYPED, POINTS)
    assert len(found) > 500  # the sweep reaches many formulas, not a few
    assert_written_as_latex2mathml(found)


@pytest.mark.parametrize("name", list(OPS))
def test_every_op_s_formulas_are_written_as_latex2mathml_writes_them(name: str) -> None:
    assert_written_as_latex2mathml(formulas(typed(OPS[name]), POINTS))


def test_generated_functions_formulas_are_written_as_latex2mathml_writes_them() -> None:
    assert_written_as_latex2mathml(formulas(generated(40), (1.0, -0.5)))


def test_every_greek_letter_and_symbol_is_written_as_latex2mathml_writes_it() -> None:
    names = [*GREEK, "pi", "cdot", "times", "partial", "infty", "max", "min", "sin", "cos"]
    names += ["tan", "sinh", "cosh", "tanh", "exp", "log", "ln", "lg"]
    for name in names:
        latex = rf"\{name}_{{1}} = {{-\{name}}}^{{2}} \cdot x"
        assert written_here(latex) == convert(latex), latex


# The part written here, token by token, to build formulas latex2mathml may or may not accept.
PIECES = [
    "x", "v", "2", "10", "1.5", " ", "=", "+", "-", ",", "/", "(", ")", "[", "]", "|", ">",
    "{", "}", "{", "}", "^", "_", "^{", "_{", r"\frac", r"\sqrt", r"\left(", r"\right)",
    r"\left[", r"\right|", r"\mathrm{out}", r"\cdot", r"\times", r"\partial", r"\infty",
    r"\sigma", r"\theta", r"\tanh", r"\max", r"\,", r"\text{a b}", r"\dot", r"\operatorname{sign}",
]  # fmt: skip


def test_any_mix_of_the_part_written_here_is_written_or_left_as_latex2mathml_has_it() -> None:
    rng = random.Random(3)
    written = 0
    for _ in range(3000):
        latex = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
        try:
            expected = convert(latex)
        except Exception:  # latex2mathml rejects it; the writer must not take it either
            assert written_here(latex) is None, latex
            continue
        mine = written_here(latex)
        if mine is not None:
            written += 1
            assert mine == expected, latex
        assert to_mathml(latex) == expected, latex
    assert written > 300  # most well-formed mixes are written here, not handed on


@pytest.mark.parametrize(
    "latex",
    [
        r"\begin{matrix} a & b \end{matrix}",  # an environment
        r"\frac12",  # arguments without braces, read digit by digit
        r"\mathrm{d}x",  # a one-letter \mathrm is a symbol of its own
        r"x = 2 em",  # a number with a unit is a dimension
        r"\text{2 x in}",  # so is a text that starts with a digit and ends with a unit
        r"\sqrt[3]{x}",  # a root with an index
        r"\left. x \right|",  # an empty fence
        r"x^{2}^{3}",  # a double superscript: latex2mathml raises
        r"θ = 1",  # a letter that is not ASCII
        r"\alpha \pm \beta",  # a command not written here
        r"x % a comment",
        r"{x",  # an open group
        "",
    ],
)
def test_latex_outside_the_part_is_handed_to_latex2mathml(latex: str) -> None:
    assert written_here(latex) is None
    try:
        expected = convert(latex)
    except Exception as error:
        with pytest.raises(type(error)):
            to_mathml(latex)
    else:
        assert to_mathml(latex) == expected
        assert math_html(latex) == expected
