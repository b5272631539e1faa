"""The course's boxes as Python classes with a forward and a backward, from the operations' table.

A box is an operation (`sin`) or one of its named forms (`square`, which is `pow` with b = 2).
Its class keeps its inputs in `forward` and returns d_out times its local derivatives in
`backward`, either by the derivatives' formulas (symbolic) or by central difference on its own
forward (numerical). The code is written from the `python` expression of each formula in
`engine.ops.OPS`: those expressions are read with `ast` to put names and values in, and are never
run here. The code is complete: it imports what it uses from `math` and defines the operations
it calls by name (`sigmoid`) from their definitions, so it runs as pasted.
"""

from __future__ import annotations

import ast
import builtins
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .ops import OPS, Formula, Op

MODES = ("symbolic", "numerical")
# Names the generated code binds itself.
_LOCAL = {"self", "d_out", "eps", "up", "down"}


@dataclass(frozen=True)
class Box:
    """An operation with some of its arguments fixed (none, for the operation itself)."""

    name: str  # sin, square
    op: Op
    constants: tuple[float | None, ...]  # each argument's fixed value, None where free
    class_name: str  # Sine, Square

    @property
    def title(self) -> str:
        """The box as a lesson names it, with the course's class where that is another word:
        "sin (the course's Sine)", "square", "tanh"."""
        if self.class_name.lower() == self.name.lower():
            return self.name
        return f"{self.name} (the course's {self.class_name})"

    @property
    def arguments(self) -> tuple[str, ...]:
        """The names of the free arguments in the code: z for one, a and b for two."""
        free = [
            name
            for name, c in zip(self.op.argument_names, self.constants, strict=True)
            if c is None
        ]
        return ("z",) if len(free) == 1 else tuple(free)

    def forms(self) -> tuple[Formula, tuple[Formula, ...]]:
        """The forward formula and the free arguments' local-derivative formulas."""
        formula, derivatives = self.op.forms(self.constants)
        return formula, tuple(
            d for d, c in zip(derivatives, self.constants, strict=True) if c is None
        )

    def _names(self) -> dict[str, ast.expr]:
        """What each of the operation's argument names stands for in the code."""
        names: dict[str, ast.expr] = {}
        free = iter(self.arguments)
        for name, constant in zip(self.op.argument_names, self.constants, strict=True):
            names[name] = ast.Name(next(free)) if constant is None else _literal(constant)
        return names


def boxes() -> dict[str, Box]:
    """Every box, by name: each operation's named forms, then the operations themselves."""
    result = {
        form.name: Box(form.name, op, form.constants, form.class_name)
        for op in OPS.values()
        for form in op.named_forms
    }
    for op in OPS.values():
        result.setdefault(op.name, Box(op.name, op, (None,) * op.arity, op.class_name))
    return result


def box_names(arguments: int = 1) -> list[str]:
    """The boxes that take this many inputs; for one: square, sin, cos, … as a lesson offers."""
    return [name for name, box in boxes().items() if len(box.arguments) == arguments]


def box(name: str) -> Box:
    """The box of this name; a ValueError names the boxes there are."""
    found = boxes()
    if name not in found:
        raise ValueError(f"no box named {name!r}; the boxes are {', '.join(found)}")
    return found[name]


def _is_atom(text: str) -> bool:
    """x, a number, or one call like sin(x): safe to write ^2 or a minus right next to it."""
    return re.fullmatch(r"\w+|[a-z]+\((?:[^()]|\([^()]*\))*\)", text) is not None


def box_text(name: str, inner: str) -> str:
    """The function a student types for the box applied to `inner`: sin(x), x^2, -(x + 1)."""
    b = box(name)
    if len(b.arguments) != 1:
        raise ValueError(f"{name} takes {len(b.arguments)} inputs, not one")
    if not b.op.spellings:  # a function, called by its name
        return f"{b.op.name}({inner})"
    wrapped = inner if _is_atom(inner) else f"({inner})"
    parts = [wrapped if c is None else f"{c:g}" for c in b.constants]
    return b.op.spellings[0].join(parts) if b.op.arity == 2 else b.op.spellings[0] + parts[0]


# -- the code ----------------------------------------------------------------------------------


def _literal(value: float) -> ast.expr:
    number: int | float = int(value) if float(value).is_integer() else float(value)
    if number < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-number))
    return ast.Constant(number)


class _Put(ast.NodeTransformer):
    """Replace names by expressions."""

    def __init__(self, names: Mapping[str, ast.expr]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.names.get(node.id, node)


def _read(python: str, what: str) -> ast.expr:
    if not python:
        raise ValueError(f"{what} has no Python expression in the operations' table")
    return ast.parse(python, mode="eval").body


def _put(expression: ast.expr, names: Mapping[str, ast.expr]) -> ast.expr:
    # Each use gets its own copy of the tree it is given.
    copied = ast.parse(ast.unparse(expression), mode="eval").body
    return _Put(names).visit(copied)


def _code(expression: ast.expr) -> str:
    return ast.unparse(expression)


def _helpers(used: set[str], box_name: str) -> tuple[list[str], list[str]]:
    """What the code needs besides itself: names from `math`, and operations it calls by name
    (sigmoid) defined from their definitions, each before its first use."""
    imports: set[str] = set()
    definitions: list[str] = []
    defined: set[str] = set()
    todo = sorted(used)
    while todo:
        name = todo.pop()
        if name in defined or name in imports:
            continue
        if hasattr(math, name) and not name.startswith("_"):
            imports.add(name)
        elif hasattr(builtins, name):
            continue
        elif name in OPS and OPS[name].definition is not None:
            op = OPS[name]
            definition = op.definition.python if op.definition else ""
            body = _read(definition, f"the definition of {name}")
            definitions.insert(
                0, f"def {name}({', '.join(op.argument_names)}):\n    return {_code(body)}"
            )
            defined.add(name)
            todo += sorted(_free_names(body) - set(op.argument_names))
        else:
            raise ValueError(
                f"the code of {box_name} uses {name}, which is not in Python's "
                "math module, not a builtin and not an operation with a definition"
            )
    return sorted(imports), definitions


def _free_names(expression: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(expression) if isinstance(node, ast.Name)}


def box_code(name: str, mode: str = "symbolic", eps: float = 1e-4) -> str:
    """The box as the course writes it: a class with forward and backward, ready to run.

    `mode` is "symbolic" (backward by the local derivatives' formulas) or "numerical"
    (backward by central difference on the forward, with step `eps`).
    """
    if mode not in MODES:
        raise ValueError(f"mode is one of {', '.join(MODES)}, not {mode!r}")
    b = box(name)
    formula, derivatives = b.forms()
    names = b._names()
    args = b.arguments
    forward = _put(_read(formula.python, f"{name}'s formula"), names)
    text_names = {
        n: (ast.unparse(e) if not isinstance(e, ast.Name) else e.id) for n, e in names.items()
    }
    lines = [
        f"class {b.class_name}:",
        f"    # forward: {_text(formula.text, text_names)}",
        f"    def forward(self, {', '.join(args)}):",
        (
            "        self.z = z  # kept for backward"
            if args == ("z",)
            else f"        {', '.join(f'self.{a}' for a in args)} = {', '.join(args)}  "
            "# kept for backward"
        ),
        f"        return {_code(forward)}",
        "",
    ]
    used = _free_names(forward)
    if mode == "symbolic":
        kept = {a: ast.Attribute(ast.Name("self"), a) for a in args}
        sends = []
        for derivative in derivatives:
            local = _put(_put(_read(derivative.python, f"{name}'s derivative"), names), kept)
            used |= _free_names(local)
            sends.append(_code(ast.BinOp(ast.Name("d_out"), ast.Mult(), local)))
        said = ", ".join(
            f"d/d{arg} = {_text(d.text, text_names)}"
            for arg, d in zip(args, derivatives, strict=True)
        )
        lines += [
            f"    # backward, symbolic: {said}",
            "    def backward(self, d_out):",
            f"        return {', '.join(sends)}",
        ]
    else:
        lines += [
            (
                "    # backward, numerical: central difference"
                + ("" if len(args) == 1 else " in each input")
            ),
            f"    def backward(self, d_out, eps={eps:g}):",
            f"        {', '.join(args)} = {', '.join(f'self.{a}' for a in args)}",
        ]
        for arg in args:
            shifted = [
                _code(_put(forward, {arg: ast.BinOp(ast.Name(arg), sign, ast.Name("eps"))}))
                for sign in (ast.Add(), ast.Sub())
            ]
            lines.append(f"        up, down = {shifted[0]}, {shifted[1]}")
            if len(args) == 1:
                lines.append("        return d_out * (up - down) / (2 * eps)")
            else:
                lines.append(f"        d_{arg} = d_out * (up - down) / (2 * eps)")
        if len(args) > 1:
            lines.append(f"        return {', '.join(f'd_{a}' for a in args)}")
    imports, definitions = _helpers(used - _LOCAL - set(args), name)
    head = ([f"from math import {', '.join(imports)}"] if imports else []) + definitions
    return "\n\n\n".join(head + ["\n".join(lines)]) + "\n"


def _text(formula: str, names: dict[str, str]) -> str:
    """A formula's text with the box's argument names and constants put in: a² -> z²."""
    from .explain import substitute  # the explanations' own substitution, for the same look

    return substitute(formula, names)
