"""The course's box classes, written from the operations' table: each one compiles, runs as
pasted, and its forward and backward agree with the engine and with central difference.

The code run here is generated from the table only (no typed or linked text reaches it).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.boxes import MODES, box, box_code, box_names, box_text
from engine.ops import OPS
from engine.parser import parse

UNARY_POINTS = (-1.3, -0.6, 0.3, 0.7, 1.3)
BINARY_POINTS = ((0.7, 1.3), (1.5, 0.4), (2.0, -0.5), (0.6, 3.0))
ALL = [name for n in (1, 2) for name in box_names(n)]


def run(code: str, class_name: str) -> type:
    """The class the code defines, after running the generated code in a namespace of its own."""
    namespace: dict = {}
    exec(compile(code, f"<box {class_name}>", "exec"), namespace)  # noqa: S102 - table's code
    return namespace[class_name]


def central(f, args: tuple[float, ...], position: int, eps: float = 1e-6) -> float:
    """The independent oracle: central difference of the engine's forward in one argument."""
    up, down = list(args), list(args)
    up[position] += eps
    down[position] -= eps
    return float((f(*up) - f(*down)) / (2 * eps))


def points(name: str) -> list[tuple[float, ...]]:
    """Where the box has a value and a derivative, from the engine's own forward and kinks."""
    b = box(name)
    candidates = [(z,) for z in UNARY_POINTS] if len(b.arguments) == 1 else list(BINARY_POINTS)
    found = []
    for free in candidates:
        full = iter(free)
        args = tuple(next(full) if c is None else c for c in b.constants)
        with np.errstate(all="ignore"):
            value = b.op.forward(*map(np.float64, args))
        if np.isfinite(value) and not b.op.has_kink(*args):
            found.append(free)
    return found


def engine_call(name: str):
    """The box's forward and local derivatives as the engine computes them, in its free
    arguments."""
    b = box(name)

    def full(free: tuple[float, ...]) -> tuple[np.float64, ...]:
        it = iter(free)
        return tuple(np.float64(next(it) if c is None else c) for c in b.constants)

    free_positions = [k for k, c in enumerate(b.constants) if c is None]
    return (
        lambda *free: b.op.forward(*full(free)),
        [lambda *free, k=k: b.op.local_derivatives[k](*full(free)) for k in free_positions],
    )


def test_every_operation_has_its_box_with_python_for_every_formula() -> None:
    for op in OPS.values():
        assert op.class_name and op.class_name.isidentifier()
        assert op.formula.python and all(d.python for d in op.derivative_formulas)
        assert op.definition is None or op.definition.python
        assert op.name in ALL
    assert box_names(1)[0] == "square" and box("square").op is OPS["pow"]
    assert len(set(box(n).class_name for n in ALL)) == len(ALL)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("mode", MODES)
def test_box_code_runs_and_agrees_with_the_engine(name: str, mode: str) -> None:
    b = box(name)
    code = box_code(name, mode, 1e-5)
    Box = run(code, b.class_name)
    forward, derivatives = engine_call(name)
    chosen = points(name)
    assert len(chosen) >= 2, name
    for free in chosen:
        instance = Box()
        value = instance.forward(*free)
        assert value == pytest.approx(float(forward(*free)), rel=1e-12, abs=1e-12)
        d_out = -1.7
        sent = instance.backward(d_out)
        sent = sent if isinstance(sent, tuple) else (sent,)
        assert len(sent) == len(derivatives)
        for k, (got, local) in enumerate(zip(sent, derivatives, strict=True)):
            oracle = central(forward, free, k)
            tolerance = 1e-6 * max(1.0, abs(oracle))
            assert got == pytest.approx(d_out * oracle, abs=10 * tolerance), (name, free, k)
            if mode == "symbolic":  # the formula is the engine's own local derivative
                assert got == pytest.approx(d_out * float(local(*free)), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", box_names(1))
def test_a_box_applied_reads_back_as_the_box(name: str) -> None:
    forward, _ = engine_call(name)
    for inner in ("x", "sin(x)", "x + 1"):
        graph = parse(box_text(name, inner))
        assert graph.nodes[graph.output].label == box(name).op.name
        at = parse(inner).trace({"x": 0.4}).value
        assert graph.trace({"x": 0.4}).value == pytest.approx(float(forward(at)), rel=1e-12)


def test_the_course_s_square_and_sine() -> None:
    square = box_code("square", "symbolic", 1e-4)
    assert "class Square:" in square and "return d_out * (2 * self.z)" in square
    assert "import" not in square  # nothing to import: it runs as it is
    sine = box_code("sin", "numerical", 1e-4)
    assert "up, down = sin(z + eps), sin(z - eps)" in sine
    assert sine.startswith("from math import sin\n")
    # sin(x²) at x = 3, boxes chained as in the course: 0.4121 and −5.4668
    Square, Sine = run(square, "Square")(), run(sine, "Sine")()
    assert round(Sine.forward(Square.forward(3.0)), 4) == 0.4121
    assert round(Square.backward(Sine.backward(1.0)), 4) == -5.4668
    assert math.isclose(Square.backward(Sine.backward(1.0)), 6 * math.cos(9), rel_tol=1e-6)


def test_bad_names_and_modes_are_refused_in_words() -> None:
    with pytest.raises(ValueError, match="no box named 'cube'"):
        box_code("cube")
    with pytest.raises(ValueError, match="mode is one of"):
        box_code("sin", "exact")
    with pytest.raises(ValueError, match="takes 2 inputs"):
        box_text("mul", "x")
