"""Forward mode: every node carries its value and its derivative with respect to one input.

A node's derivative with respect to the chosen input is its tangent (a dual number's second
part). Seed the chosen input with tangent 1 and every other input with 0; then each operation,
in node order, computes its value and its tangent together:

    tangent = Σ local derivative · input's tangent   (one term per argument position)

One pass gives the derivative of every node with respect to ONE input, so the whole gradient of
f(x1, ..., xn) takes n passes; reverse mode gets it in one backward pass per output. Iterative,
one visit per node and edge, like the rest of the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .explain import (
    Explanation,
    M,
    Segment,
    W,
    forms,
    formula_math,
    group,
    lines_of,
    needs_parentheses,
    node_name,
    number_latex,
    number_text,
    paren_text,
)
from .graph import Graph, Values
from .ops import OPS


@dataclass(frozen=True)
class TangentStep:
    """An operation computes its value and its tangent from its inputs' values and tangents."""

    node: int
    inputs: tuple[float, ...]  # the inputs' values, one per argument position
    tangents: tuple[float, ...]  # the inputs' tangents: d input / d wrt
    locals: tuple[float, ...]  # d node / d input at each argument position
    used: tuple[bool, ...]  # which inputs depend on wrt; the others add nothing
    value: float
    dot: float  # this node's tangent: d node / d wrt


@dataclass(frozen=True)
class ForwardModeTrace:
    graph: Graph
    inputs: Mapping[str, float]
    wrt: str  # the input whose tangent is seeded with 1
    values: tuple[float, ...]  # every node's value
    dots: tuple[float, ...]  # every node's tangent
    steps: tuple[TangentStep, ...]  # one per operation, in node order

    @property
    def value(self) -> float:
        return self.values[self.graph.output]

    @property
    def derivative(self) -> float:
        """d output / d wrt: the output's tangent after the single pass."""
        return self.dots[self.graph.output]

    def __len__(self) -> int:
        return len(self.steps)

    def known_after(self, k: int) -> set[int]:
        """The nodes whose value and tangent are known after steps 1..k (k = 0: the inputs)."""
        known = {n.id for n in self.graph.nodes if n.kind != "operation"}
        known.update(step.node for step in self.steps[:k])
        return known


def forward_mode(
    graph: Graph, values: Values | None = None, *, wrt: str, **more: float
) -> ForwardModeTrace:
    """One forward-mode pass: every node's value and tangent with respect to `wrt`."""
    inputs = graph.inputs(values, **more)
    if wrt not in graph.variables:
        known = ", ".join(graph.variables) or "none (it is a constant)"
        raise ValueError(
            f"{wrt} is not a variable of {graph.text or 'this function'}; "
            f"its variables are: {known}"
        )
    for name, v in inputs.items():
        if np.ndim(v) != 0:
            raise ValueError(f"forward mode here takes one number per variable; {name} is an array")
    nodes = graph.nodes
    values_ = [float(v) for v in graph.forward(inputs)]
    dots = [0.0] * len(nodes)
    # Which nodes depend on wrt: only their tangents can be non-zero. Skipping the others
    # keeps a 0 · inf (log at 0 on a branch without wrt) from turning into nan.
    depends = [False] * len(nodes)
    steps: list[TangentStep] = []
    with np.errstate(all="ignore"):
        for node in nodes:
            if node.kind == "variable":
                depends[node.id] = node.label == wrt
                dots[node.id] = 1.0 if node.label == wrt else 0.0
                continue
            if node.kind == "constant":
                continue
            op = OPS[node.label]
            args = [np.float64(values_[a]) for a in node.args]
            locals_ = tuple(float(d(*args)) for d in op.local_derivatives)
            used = tuple(depends[a] for a in node.args)
            dot = 0.0
            for local, a, use in zip(locals_, node.args, used, strict=True):
                if use:
                    dot += local * dots[a]
            depends[node.id] = any(used)
            dots[node.id] = float(dot)
            steps.append(
                TangentStep(
                    node.id,
                    tuple(values_[a] for a in node.args),
                    tuple(dots[a] for a in node.args),
                    locals_,
                    used,
                    values_[node.id],
                    float(dot),
                )
            )
    return ForwardModeTrace(
        graph,
        {k: float(v) for k, v in inputs.items()},
        wrt,
        tuple(values_),
        tuple(dots),
        tuple(steps),
    )


def forward_mode_gradient(
    graph: Graph, values: Values | None = None, **more: float
) -> dict[str, float]:
    """Every partial derivative by forward mode: one pass per variable."""
    return {v: forward_mode(graph, values, wrt=v, **more).derivative for v in graph.variables}


# -- explanations -------------------------------------------------------------------------------


def dot_name(graph: Graph, node_id: int) -> tuple[str, str]:
    """A node's tangent as text and LaTeX: v̇₃ / \\dot{v}_{3}, ḃ / \\dot{b}."""
    text, latex = node_name(graph, node_id)
    dotted = text[0] + "\u0307" + text[1:]
    if "_" in latex:
        head, _, tail = latex.partition("_")
        return dotted, rf"\dot{{{head}}}_{tail}"
    return dotted, rf"\dot{{{latex}}}"


def _variable_name(graph: Graph, name: str) -> tuple[str, str]:
    node = next(n for n in graph.nodes if n.kind == "variable" and n.label == name)
    return node_name(graph, node.id)


def explain_forward_mode(trace: ForwardModeTrace, k: int) -> Explanation:
    """Step k of a forward-mode pass (1-based; 0 is the seed) in words and arithmetic."""
    graph = trace.graph
    wrt = trace.wrt
    if k == 0:
        seeds: list[Segment] = [W("Seed the tangents: ")]
        variables = [n for n in graph.nodes if n.kind == "variable"]
        for i, node in enumerate(variables):
            text, latex = dot_name(graph, node.id)
            dot = trace.dots[node.id]
            seeds += ([W(", ")] if i else []) + [
                M(f"{text} = {number_text(dot)}", f"{latex} = {number_latex(dot)}")
            ]
        return Explanation(
            "Start: seed the inputs",
            lines_of(
                tuple(seeds) + (W("."),),
                (
                    W(
                        f"A tangent is a derivative with respect to {wrt}: {wrt} itself has 1, the "
                        "other inputs and every constant 0."
                    ),
                ),
                (
                    W(
                        "Each operation then computes its value and its tangent together, "
                        "in one pass "
                        "from the inputs to the output."
                    ),
                ),
            ),
        )
    step = trace.steps[k - 1]
    node = graph.nodes[step.node]
    name_text, name_latex = node_name(graph, step.node)
    dot_text, dot_latex = dot_name(graph, step.node)
    # The value, exactly as the reverse-mode trace writes it.
    formula, derivative_formulas = forms(graph, step.node)
    by_name, by_name_l, by_value, by_value_l = formula_math(trace, step.node, formula)
    lines: list[tuple[Segment, ...]] = [
        (
            M(
                f"{name_text} = {by_name} = {by_value} = {number_text(step.value)}",
                f"{name_latex} = {by_name_l} = {by_value_l} = {number_latex(step.value)}",
            ),
        )
    ]
    # The tangent: one term per argument that depends on wrt.
    terms_text, terms_latex, values_text, values_latex = [], [], [], []
    for position, a in enumerate(node.args):
        if not step.used[position]:
            continue
        local_text, local_latex, _, _ = formula_math(
            trace, step.node, derivative_formulas[position]
        )
        in_text, in_latex = dot_name(graph, a)
        if needs_parentheses(local_text):  # a sum or a negative factor: (−1) · ẋ
            local_text = f"({local_text})"
        terms_text.append(f"{local_text} · {in_text}")
        terms_latex.append(rf"{group(local_latex)} \cdot {in_latex}")
        values_text.append(
            f"{paren_text(step.locals[position])} · {paren_text(step.tangents[position])}"
        )
        values_latex.append(
            rf"{number_latex(step.locals[position], True)} \cdot "
            rf"{number_latex(step.tangents[position], True)}"
        )
    if terms_text:
        lines.append(
            (
                W("Tangent: "),
                M(
                    f"{dot_text} = {' + '.join(terms_text)} = {' + '.join(values_text)} = "
                    f"{number_text(step.dot)}",
                    f"{dot_latex} = {' + '.join(terms_latex)} = {' + '.join(values_latex)} = "
                    f"{number_latex(step.dot)}",
                ),
            )
        )
        for a in dict.fromkeys(a for a, use in zip(node.args, step.used, strict=True) if not use):
            kind = (
                "is a constant"
                if graph.nodes[a].kind == "constant"
                else f"does not depend on {wrt}"
            )
            lines.append(
                (W(f"{node_name(graph, a)[0]} {kind}: its tangent is 0 and adds nothing."),)
            )
    else:
        lines.append(
            (W(f"No input depends on {wrt}, so "), M(f"{dot_text} = 0", f"{dot_latex} = 0"), W("."))
        )
    if step.node == graph.output:
        out_text, out_latex = node_name(graph, graph.output)
        wrt_text, wrt_latex = _variable_name(graph, wrt)
        lines.append(
            (
                W("The output's tangent is the derivative: "),
                M(
                    f"∂{out_text}/∂{wrt_text} = {number_text(step.dot)}",
                    rf"\frac{{\partial {out_latex}}}{{\partial {wrt_latex}}} = "
                    f"{number_latex(step.dot)}",
                ),
                W(", after one pass. Each other input needs a pass of its own."),
            )
        )
    return Explanation(f"Forward mode: {node.symbol} ({name_text})", lines_of(*lines))
