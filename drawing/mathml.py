"""LaTeX as MathML for the math the explanations write, fast.

engine/explain.py writes its formulas in a small part of LaTeX: names with subscripts (v_{3},
x_{1}), numbers ({-1.5}, 1 \\times 10^{-8}), operators, \\frac, \\sqrt, \\left( \\right), \\mathrm,
\\text, \\dot, Greek letters and named functions. `to_mathml` writes that part itself, element for
element and byte for byte as latex2mathml writes it (tests/test_mathml.py holds the two side by
side), many times faster: a deck of 2,000 steps spent most of its time in latex2mathml.
Anything outside that part, or malformed, goes to latex2mathml as it is.

The parser reads one group of tokens at a time, as latex2mathml's does: a script (_ or ^) takes
the element just before it and the one element after it; \\frac, \\sqrt, \\dot and \\mathrm take
the elements after them. Nesting follows the formula's braces, never the size of the graph.
"""

from __future__ import annotations

import re
import string

from latex2mathml.converter import convert as latex2mathml

__all__ = ["to_mathml", "written_here"]

MATH_OPEN = '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline"><mrow>'
MATH_CLOSE = "</mrow></math>"
MAX_DEPTH = 32  # nesting of groups: deeper formulas go to latex2mathml

# One token at a time, as latex2mathml's tokenizer cuts them where they overlap: a script's
# first digit alone (x^23 is x² then 3), numbers, one letter, a command, any other character.
_TOKEN = re.compile(
    r"\\text\s*\{[^}&<>]+\}|\\operatorname\{[a-zA-Z]+\}|[_^]\d?|\d+(?:\.\d+)?|\\[a-zA-Z]+|\\,|\S"
)
_UNITS = ("in", "mm", "cm", "pt", "em", "ex", "pc", "bp", "dd", "cc", "sp", "mu")
# What latex2mathml reads otherwise than the tokens above would: a number with a unit
# (2 em, a dimension), \frac12, a one-letter \mathrm{d} (a symbol of its own), a comment.
_OTHERWISE = re.compile(
    r"\d\s*(?:in|mm|cm|pt|em|ex|pc|bp|dd|cc|sp|mu)|\\[cdt]?frac\s*[.\d]|\\math[a-z]+\{[a-zA-Z]\}|%"
)

# Characters read as operators, as their <mo>: fences outside \left and \right do not stretch.
_CHARS = {
    "=": "<mo>&#x0003D;</mo>",
    "+": "<mo>&#x0002B;</mo>",
    "-": "<mo>&#x02212;</mo>",
    ",": "<mo>&#x0002C;</mo>",
    "/": "<mo>&#x0002F;</mo>",
    "<": "<mo>&#x0003C;</mo>",
    ">": "<mo>&#x0003E;</mo>",
    "(": '<mo stretchy="false">&#x00028;</mo>',
    ")": '<mo stretchy="false">&#x00029;</mo>',
    "[": '<mo stretchy="false">[</mo>',
    "]": '<mo stretchy="false">]</mo>',
    "|": '<mo stretchy="false">&#x0007C;</mo>',
}
# What \left and \right take, as the text of their stretchy <mo>.
_FENCES = {"(": "&#x00028;", ")": "&#x00029;", "[": "[", "]": "]", "|": "&#x0007C;"}

_GREEK = {
    "alpha": "003B1",
    "beta": "003B2",
    "gamma": "003B3",
    "delta": "003B4",
    "epsilon": "003F5",
    "zeta": "003B6",
    "eta": "003B7",
    "theta": "003B8",
    "iota": "003B9",
    "kappa": "003BA",
    "lambda": "003BB",
    "mu": "003BC",
    "nu": "003BD",
    "xi": "003BE",
    "pi": "003C0",
    "rho": "003C1",
    "sigma": "003C3",
    "tau": "003C4",
    "upsilon": "003C5",
    "phi": "003D5",
    "chi": "003C7",
    "psi": "003C8",
    "omega": "003C9",
    "Gamma": "00393",
    "Delta": "00394",
    "Theta": "00398",
    "Lambda": "0039B",
    "Xi": "0039E",
    "Pi": "003A0",
    "Sigma": "003A3",
    "Upsilon": "003A5",
    "Phi": "003A6",
    "Psi": "003A8",
    "Omega": "003A9",
}
_FUNCTIONS = ("sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "log", "ln", "lg")
# Tokens that stand for one element: letters, operators, commands.
_SYMBOLS = {
    **{letter: f"<mi>{letter}</mi>" for letter in string.ascii_letters},
    **_CHARS,
    **{f"\\{name}": f"<mi>&#x{code};</mi>" for name, code in _GREEK.items()},
    **{f"\\{name}": f"<mi>{name}</mi>" for name in _FUNCTIONS},
    **{f"\\{name}": f"<mo>{name}</mo>" for name in ("max", "min")},
    "\\omicron": "<mo>&#x003BF;</mo>",  # an operator to latex2mathml, not a letter
    "\\cdot": "<mo>&#x000B7;</mo>",
    "\\times": "<mo>&#x000D7;</mo>",
    "\\partial": "<mo>&#x02202;</mo>",
    "\\infty": "<mo>&#x0221E;</mo>",
    "\\,": '<mspace width="0.167em" />',
}


class _Outside(Exception):
    """The LaTeX is outside the part written here."""


# A script's pieces, to join x_{1}^{2} into one <msubsup>: base, subscript, superscript.
_Scripts = tuple[str, str | None, str | None]


class _Reader:
    """Reads LaTeX into MathML; raises _Outside at anything outside the part written here."""

    def __init__(self, latex: str):
        self.pieces: list[str] = []
        for piece in _TOKEN.findall(latex):
            if len(piece) == 2 and piece[0] in "_^":  # a script and its first digit
                self.pieces += piece
            else:
                self.pieces.append(piece)
        self.at = 0
        self.depth = 0

    def next(self) -> str:
        if self.at >= len(self.pieces):
            raise _Outside
        self.at += 1
        return self.pieces[self.at - 1]

    def row(self, closer: str | None) -> str:
        """The elements up to `closer` ("}" or "\\right", consumed) or, for None, to the end."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Outside
        pieces = self.pieces
        elements: list[str] = []
        last: _Scripts | None = None  # the scripts of the last element, if it has any
        while self.at < len(pieces):
            piece = pieces[self.at]
            if piece == closer:
                self.at += 1
                self.depth -= 1
                return "".join(elements)
            if piece == "_" or piece == "^":
                self.at += 1
                if not elements:
                    raise _Outside
                base = elements.pop()
                xml, last = self.scripted(base, last, piece, self.element())
                elements.append(xml)
            else:
                elements.append(self.element())
                last = None
        if closer is not None or not elements:
            raise _Outside
        self.depth -= 1
        return "".join(elements)

    @staticmethod
    def scripted(
        base: str, scripts: _Scripts | None, script: str, argument: str
    ) -> tuple[str, _Scripts | None]:
        """`base` with a subscript (_) or superscript (^) `argument`, and its scripts after."""
        if scripts is not None:
            inner, sub, sup = scripts
            if (sub if script == "_" else sup) is not None:
                raise _Outside  # a double subscript or superscript
            if script == "_":
                return f"<msubsup>{inner}{argument}{sup}</msubsup>", None
            return f"<msubsup>{inner}{sub}{argument}</msubsup>", None
        if script == "_":
            return f"<msub>{base}{argument}</msub>", (base, argument, None)
        return f"<msup>{base}{argument}</msup>", (base, None, argument)

    def element(self) -> str:
        """The next element: a symbol, a group, or a command with its arguments."""
        piece = self.next()
        xml = _SYMBOLS.get(piece)
        if xml is not None:
            return xml
        if piece[0].isdigit():
            return f"<mn>{piece}</mn>"
        if piece == "{":
            inside = self.row("}")
            return f"<mrow>{inside}</mrow>" if inside else "<mrow />"
        if piece.startswith("\\text"):
            words = piece[piece.index("{") + 1 : -1]
            if words[0].isdigit() and words.endswith(_UNITS):
                raise _Outside  # latex2mathml reads it as a dimension and drops its spaces
            return f"<mtext>{words.replace(' ', '&#x000A0;')}</mtext>"
        if piece.startswith("\\operatorname{"):
            return f"<mo>{piece[len('operatorname') + 2 : -1]}</mo>"
        if piece == "\\frac":
            numerator = self.element()
            return f"<mfrac>{numerator}{self.element()}</mfrac>"
        if piece == "\\sqrt":
            if self.at < len(self.pieces) and self.pieces[self.at] == "[":
                raise _Outside  # a root with an index
            return f"<msqrt>{self.element()}</msqrt>"
        if piece == "\\dot":
            return f"<mover>{self.element()}<mo>&#x002D9;</mo></mover>"
        if piece == "\\mathrm":
            return self.upright()
        if piece == "\\left":
            return self.fenced()
        raise _Outside

    def upright(self) -> str:
        """\\mathrm's braced argument of letters and digits: letters upright, as <mi>s."""
        if self.next() != "{":
            raise _Outside
        parts = []
        while True:
            piece = self.next()
            if piece.isascii() and piece.isalpha() and len(piece) == 1:
                parts.append(f'<mi mathvariant="normal">{piece}</mi>')
            elif piece[0].isdigit():
                parts.append(f"<mn>{piece}</mn>")
            elif piece == "}" and parts:
                return f"<mrow>{''.join(parts)}</mrow>"
            else:
                raise _Outside

    def fenced(self) -> str:
        """\\left( … \\right): a row between two stretchy fences."""
        opening = _FENCES.get(self.next())
        if opening is None:
            raise _Outside
        inside = self.row("\\right")
        closing = _FENCES.get(self.next())
        if closing is None:
            raise _Outside
        return (
            f'<mrow><mo stretchy="true" fence="true" form="prefix">{opening}</mo>{inside}'
            f'<mo stretchy="true" fence="true" form="postfix">{closing}</mo></mrow>'
        )


def written_here(latex: str) -> str | None:
    """The MathML of `latex` where it is in the part written here, else None."""
    if _OTHERWISE.search(latex):
        return None
    try:
        return MATH_OPEN + _Reader(latex).row(None) + MATH_CLOSE
    except _Outside:
        return None


def to_mathml(latex: str) -> str:
    """LaTeX as inline MathML, exactly as latex2mathml writes it."""
    written = written_here(latex)
    return written if written is not None else latex2mathml(latex)
