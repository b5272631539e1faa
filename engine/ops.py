"""The table of operations: one entry per operation, forward and local derivatives side by side.

Adding an operation is adding one `Op` to `OPS`: the parser reads its name or spellings, the
graph, trace and explanations use its forward, derivatives and formulas, the diagram its symbol,
PyTorch's code its `torch` spelling and precedence, and the course's box classes
(`engine.boxes`) its `class_name` and the formulas' `python`. Every table read from `OPS`
(`FUNCTIONS`, `BINARY`, `PREFIX`, the parser's names) is derived when read, so an operation added
at run time is known everywhere at once. Each local derivative is a function of the
operation's inputs (one per argument position, as in MiniTorch's `chain_rule`), so `x*x` gets
two contributions of x each and `x/x` gets 1/x and -x/x^2, which cancel. A derivative may return
a scalar where its inputs are arrays (the derivative of a + b is 1); the graph broadcasts.

Formulas use the argument names `a`, `b` for binary operations and `z` for functions, as the
course writes them: d/dz log(z) = 1/z. In LaTeX a leading minus is braced with what it negates,
{-1}, so that MathML renders it as a sign (−1), not as a subtraction (− 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

T = TypeVar("T")

Number = float | np.ndarray


@dataclass(frozen=True)
class Formula:
    text: str  # plain text, for terminals: 1/z
    latex: str  # for rendering as math: \frac{1}{z}
    # As a Python expression in the argument names, with the names of Python's `math` module,
    # builtins and other operations that have a definition: 1 / z, sigmoid(z) * (1 - sigmoid(z)).
    # The course's box classes are written from it (engine.boxes); never used to compute.
    python: str = ""


@dataclass(frozen=True)
class Kink:
    """Points where an operation has a value but no derivative, and what the engine uses there.

    `side` takes the operation's arguments (floats) and gives a number that is 0 at such a
    point and changes sign across it (z for relu at z = 0); `why` says what goes wrong there
    and `uses` which value the engine takes by convention, and why central difference, which
    looks at both sides, disagrees with it.
    """

    side: Callable[..., float]
    why: str
    uses: str


Forms = tuple[Formula, tuple[Formula, ...]]  # a formula and its local derivatives' formulas


@dataclass(frozen=True)
class NamedForm:
    """The operation with some arguments fixed, under a name of its own: square is pow with
    b = 2. `constants` holds each argument's value where it is fixed, None where it is free."""

    name: str  # as a lesson offers it and a diagram's box shows it: square
    class_name: str  # as the course's code names its class: Square
    constants: tuple[float | None, ...]

    def fits(self, constants: tuple[float | None, ...]) -> bool:
        """True where arguments with these constant values (None: not a constant) are this
        form: x^2, where b is the constant 2, is a square; x^3 and x^y are not."""
        return len(constants) == len(self.constants) and all(
            fixed is None or (given is not None and float(given) == fixed)
            for fixed, given in zip(self.constants, constants, strict=True)
        )


@dataclass(frozen=True)
class Op:
    name: str  # identifier used in the graph and in `to_text`
    symbol: str  # what the diagram's box shows
    forward: Callable[..., Number]
    local_derivatives: tuple[Callable[..., Number], ...]  # one per argument position
    formula: Formula  # the forward, in the argument names: log(z), σ(z)
    derivative_formulas: tuple[Formula, ...]  # each local derivative: d/dz log z = 1/z
    domain: str = ""  # why a value can be nan/inf, shown at the node where it appears
    torch: str = ""  # PyTorch's spelling: an operator (*) or a function (torch.log)
    autograd: str = ""  # the node PyTorch's autograd records for it: MulBackward0
    # Operators written between or before their operands; functions leave these empty.
    spellings: tuple[str, ...] = ()  # as a student may type it; the first is what to_text writes
    written: str = ""  # as a reading of the function writes it: (1/2)·x
    precedence: int = 0  # higher binds tighter: 1 + 2·3 is 1 + (2·3)
    right_associative: bool = False  # 2^3^2 is 2^(3^2)
    definition: Formula | None = None  # what a named formula means: σ(z) = 1/(1 + e^−z)
    kink: Kink | None = None  # where it has a value but no derivative (relu at 0)
    class_name: str = ""  # the op as a Python class in the course's code: Sine
    # The formulas with constant arguments written in, as the course writes them: a square is
    # x² with local derivative 2·x, not x^2 and 2·x^(2−1). Given each argument's value where
    # it is a constant (None where it is not); None to keep the general formulas.
    with_constants: Callable[[tuple[float | None, ...]], Forms | None] | None = None
    named_forms: tuple[NamedForm, ...] = ()  # square: pow with b = 2
    # A piecewise local derivative as a step explains it at the point: given the argument
    # values, each position's derivative on this piece and the piece's condition in the
    # argument names (relu at 2: 1 and z > 0); None keeps the general formulas.
    piece: Callable[..., tuple[tuple[Formula, str], ...] | None] | None = None
    # Which of the domain's reasons applies at these arguments ("" where none is known).
    domain_case: Callable[..., str] | None = None

    def domain_at(self, *args: float) -> str:
        """Why the operation has no finite value at these arguments: the one reason of its
        domain that applies (0 to a negative power), or the whole domain if none is told."""
        if self.domain_case is not None:
            with np.errstate(all="ignore"):
                case = self.domain_case(*(float(a) for a in args))
            if case:
                return case
        return self.domain

    def forms(self, constants: tuple[float | None, ...] = ()) -> Forms:
        """The formula and local-derivative formulas, with constant arguments written in."""
        special = self.with_constants(constants) if self.with_constants and constants else None
        return special or (self.formula, self.derivative_formulas)

    def named_form(self, constants: tuple[float | None, ...] = ()) -> NamedForm | None:
        """The named form these constant arguments make (a square for b = 2), if any."""
        return next((form for form in self.named_forms if form.fits(constants)), None)

    def symbol_for(self, constants: tuple[float | None, ...] = ()) -> str:
        """What the diagram's box and the explanations call the operation with these constant
        arguments: a power with the constant exponent 2 is a square, any other a ^."""
        form = self.named_form(constants) if constants else None
        return form.name if form is not None else self.symbol

    def has_kink(self, *args: float) -> bool:
        """True where the operation has no derivative although it has a value."""
        if self.kink is None:
            return False
        with np.errstate(all="ignore"):
            return bool(self.kink.side(*args) == 0)

    def kink_between(self, before: tuple[float, ...], after: tuple[float, ...]) -> bool:
        """True where a point without derivative lies between two argument tuples (or at
        either): central difference from one to the other straddles it."""
        if self.kink is None:
            return False
        with np.errstate(all="ignore"):
            s, t = float(self.kink.side(*before)), float(self.kink.side(*after))
        return s == 0 or t == 0 or (s < 0) != (t < 0)

    @property
    def arity(self) -> int:
        return len(self.local_derivatives)

    @property
    def argument_names(self) -> tuple[str, ...]:
        return ("z",) if self.arity == 1 else ("a", "b")


def F(text: str, latex: str | None = None, py: str = "") -> Formula:
    return Formula(text, text if latex is None else latex, py)


def _sigmoid(z: Number) -> Number:
    # Two branches so that neither overflows: exp of a large positive number never appears.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))[()]


def _pow_base_derivative(a: Number, b: Number) -> Number:
    # d/da a^b = b·a^(b−1); a^0 is the constant 1, whose slope is 0 even at a = 0 (where
    # 0·0^(−1) would be 0·inf = nan).
    return np.where(b == 0, 0.0, b * np.power(a, b - 1))[()]


def _pow_with_constants(constants: tuple[float | None, ...]) -> Forms | None:
    """x² and 2·x, x³ and 3·x²: an integer power from 2 to 9 as the course writes it."""
    b = constants[1] if len(constants) == 2 else None
    if b is None or not float(b).is_integer() or not 2 <= b <= 9:
        return None
    n = int(b)
    sup = "⁰¹²³⁴⁵⁶⁷⁸⁹"
    base = (
        F("2·a", r"2 \cdot a", "2 * a")
        if n == 2
        else F(f"{n}·a{sup[n - 1]}", rf"{n} \cdot a^{{{n - 1}}}", f"{n} * a ** {n - 1}")
    )
    return F(f"a{sup[n]}", f"a^{{{n}}}", f"a ** {n}"), (
        base,
        F("a^b·ln a", r"a^{b}\ln a", "a ** b * log(a)"),
    )


def _pow_domain(a: float, b: float) -> str:
    if math.isnan(a) or math.isnan(b):
        return ""
    if a < 0 and math.isfinite(b) and not b.is_integer():
        return "a negative number to a fractional power has no real value"
    if a == 0 and b < 0:
        return "zero to a negative power divides by zero"
    if math.isfinite(a) and math.isfinite(b) and math.isinf(float(np.power(a, b))):
        return "the result is beyond the largest float (about 1.8·10³⁰⁸)"
    return ""


def _pow_exponent_derivative(a: Number, b: Number) -> Number:
    # d/db a^b = a^b ln a; where a^b is 0 the product is 0 even though ln 0 = -inf.
    p = np.power(a, b)
    return np.where(p == 0, 0.0, p * np.log(np.where(p == 0, 1.0, a)))[()]


class OpTable(dict[str, Op]):
    """Operations by name. A collapsed box (`engine.collapse`) is no entry of the table: its
    node's label carries the box's own `Op`, and looking that label up finds it, so the graph,
    trace and diagram handle a box as any operation while the names a student can type stay
    those of the table."""

    def __missing__(self, key: str) -> Op:
        op = getattr(key, "op", None)
        if isinstance(op, Op):
            return op
        raise KeyError(key)


OPS: dict[str, Op] = {
    op.name: op
    for op in [
        Op(
            "add",
            "+",
            lambda a, b: a + b,
            (lambda a, b: 1.0, lambda a, b: 1.0),
            F("a + b", py="a + b"),
            (F("1", py="1"), F("1", py="1")),
            torch="+",
            autograd="AddBackward0",
            spellings=("+",),
            written=" + ",
            precedence=1,
            class_name="Add",
        ),
        Op(
            "sub",
            "−",
            lambda a, b: a - b,
            (lambda a, b: 1.0, lambda a, b: -1.0),
            F("a − b", "a - b", "a - b"),
            (F("1", py="1"), F("−1", "{-1}", "-1")),
            torch="-",
            autograd="SubBackward0",
            spellings=("-", "−", "–"),
            written=" − ",
            precedence=1,
            class_name="Subtract",
        ),
        Op(
            "mul",
            "×",
            lambda a, b: a * b,
            (lambda a, b: b, lambda a, b: a),
            F("a·b", r"a \cdot b", "a * b"),
            (F("b", py="b"), F("a", py="a")),
            torch="*",
            autograd="MulBackward0",
            spellings=("*", "×", "·", "⋅"),
            written="·",
            precedence=2,
            class_name="Multiply",
        ),
        Op(
            "div",
            "÷",
            lambda a, b: a / b,
            (lambda a, b: 1 / b, lambda a, b: -a / (b * b)),
            F("a/b", r"\frac{a}{b}", "a / b"),
            (F("1/b", r"\frac{1}{b}", "1 / b"), F("−a/b²", r"{-\frac{a}{b^2}}", "-a / b ** 2")),
            "division by zero",
            torch="/",
            autograd="DivBackward0",
            spellings=("/", "÷"),
            written="/",
            precedence=2,
            class_name="Divide",
        ),
        Op(
            "pow",
            "^",
            np.power,
            (_pow_base_derivative, _pow_exponent_derivative),
            F("a^b", "a^{b}", "a ** b"),
            (
                F("b·a^(b−1)", r"b \cdot a^{b-1}", "b * a ** (b - 1)"),
                F("a^b·ln a", r"a^{b}\ln a", "a ** b * log(a)"),
            ),
            "a negative number to a fractional power, zero to a negative one, or a result beyond "
            "the largest float (about 1.8·10³⁰⁸)",
            kink=Kink(
                lambda a, b: a if b > 0 and not float(b).is_integer() else 1.0,
                "with a fractional exponent b, a^b exists only for a ≥ 0, so at a = 0 it "
                "has a slope from the right only",
                "the engine uses that one-sided slope, b·0^(b−1) (inf when b < 1, 0 when "
                "b > 1), as PyTorch does; central difference needs (0 − eps)^b, which does "
                "not exist, so it gives nan",
            ),
            torch="**",
            autograd="PowBackward0",
            spellings=("^", "**"),
            written="^",
            precedence=4,
            right_associative=True,
            class_name="Power",
            with_constants=_pow_with_constants,
            named_forms=(NamedForm("square", "Square", (None, 2.0)),),
            domain_case=_pow_domain,
        ),
        Op(
            "neg",
            "−",
            lambda z: -z,
            (lambda z: -1.0,),
            F("−z", "{-z}", "-z"),
            (F("−1", "{-1}", "-1"),),
            torch="-",
            autograd="NegBackward0",
            spellings=("-", "−", "–"),
            written="−",
            precedence=3,
            class_name="Negate",
        ),
        Op(
            "sin",
            "sin",
            np.sin,
            (np.cos,),
            F("sin(z)", r"\sin(z)", "sin(z)"),
            (F("cos(z)", r"\cos(z)", "cos(z)"),),
            torch="torch.sin",
            autograd="SinBackward0",
            class_name="Sine",
        ),
        Op(
            "cos",
            "cos",
            np.cos,
            (lambda z: -np.sin(z),),
            F("cos(z)", r"\cos(z)", "cos(z)"),
            (F("−sin(z)", r"{-\sin(z)}", "-sin(z)"),),
            torch="torch.cos",
            autograd="CosBackward0",
            class_name="Cosine",
        ),
        Op(
            "tan",
            "tan",
            np.tan,
            (lambda z: 1 / np.cos(z) ** 2,),
            F("tan(z)", r"\tan(z)", "tan(z)"),
            (F("1/cos²(z)", r"\frac{1}{\cos^2(z)}", "1 / cos(z) ** 2"),),
            "tan is undefined where cos z = 0",
            torch="torch.tan",
            autograd="TanBackward0",
            class_name="Tangent",
        ),
        Op(
            "exp",
            "exp",
            np.exp,
            (np.exp,),
            F("e^z", "e^{z}", "exp(z)"),
            (F("e^z", "e^{z}", "exp(z)"),),
            "exp overflows above z ≈ 709",
            torch="torch.exp",
            autograd="ExpBackward0",
            class_name="Exp",
        ),
        Op(
            "log",
            "log",
            np.log,
            (lambda z: 1 / z,),
            F("log(z)", r"\log(z)", "log(z)"),
            (F("1/z", r"\frac{1}{z}", "1 / z"),),
            "log needs a positive number",
            torch="torch.log",
            autograd="LogBackward0",
            class_name="Log",
        ),
        Op(
            "sqrt",
            "√",
            np.sqrt,
            (lambda z: 0.5 / np.sqrt(z),),
            F("√z", r"\sqrt{z}", "sqrt(z)"),
            (F("1/(2√z)", r"\frac{1}{2\sqrt{z}}", "1 / (2 * sqrt(z))"),),
            "sqrt needs a number ≥ 0",
            kink=Kink(
                lambda z: z,
                "sqrt is not differentiable at z = 0: it exists only for z ≥ 0 and its "
                "slope grows without bound as z → 0",
                "the engine uses the limit 1/(2√0) = inf, as PyTorch does; central "
                "difference needs √(0 − eps), which does not exist, so it gives nan",
            ),
            torch="torch.sqrt",
            autograd="SqrtBackward0",
            class_name="Sqrt",
        ),
        Op(
            "tanh",
            "tanh",
            np.tanh,
            (lambda z: 1 - np.tanh(z) ** 2,),
            F("tanh(z)", r"\tanh(z)", "tanh(z)"),
            (F("1 − tanh²(z)", r"1 - \tanh^2(z)", "1 - tanh(z) ** 2"),),
            torch="torch.tanh",
            autograd="TanhBackward0",
            class_name="Tanh",
        ),
        Op(
            "sigmoid",
            "sigmoid",
            _sigmoid,
            (lambda z: _sigmoid(z) * (1 - _sigmoid(z)),),
            F("σ(z)", r"\sigma(z)", "sigmoid(z)"),
            (F("σ(z)·(1 − σ(z))", r"\sigma(z)\,(1 - \sigma(z))", "sigmoid(z) * (1 - sigmoid(z))"),),
            definition=F("1/(1 + e^−z)", r"\frac{1}{1 + e^{-z}}", "1 / (1 + exp(-z))"),
            torch="torch.sigmoid",
            autograd="SigmoidBackward0",
            class_name="Sigmoid",
        ),
        Op(
            "relu",
            "relu",
            lambda z: np.maximum(z, 0.0),
            (lambda z: np.where(z > 0, 1.0, 0.0)[()],),
            F("max(0, z)", r"\max(0, z)", "max(0, z)"),
            (F("1 if z > 0, else 0", r"[z > 0]", "1 if z > 0 else 0"),),
            kink=Kink(
                lambda z: z,
                "relu is not differentiable at z = 0: its slope is 0 on the left and 1 on "
                "the right",
                "the engine uses 0 there, as PyTorch does (any slope from 0 to 1 is a valid "
                "subgradient); central difference straddles the corner and measures the "
                "average of the two slopes",
            ),
            piece=lambda z: (
                (
                    (
                        (F("1", "1", "1"), "z > 0")
                        if z > 0
                        else (F("0", "0", "0"), "z < 0" if z < 0 else "z = 0")
                    ),
                )
                if not math.isnan(z)
                else None
            ),
            torch="torch.relu",
            autograd="ReluBackward0",
            class_name="ReLU",
        ),
        Op(
            "abs",
            "abs",
            np.abs,
            (np.sign,),
            F("|z|", py="abs(z)"),
            (F("sign(z)", r"\operatorname{sign}(z)", "(z > 0) - (z < 0)"),),
            kink=Kink(
                lambda z: z,
                "abs is not differentiable at z = 0: its slope is −1 on the left and 1 on "
                "the right",
                "the engine uses sign(0) = 0 there, as PyTorch does (0 is the subgradient "
                "halfway between); central difference straddles the corner and measures the "
                "average of the two slopes",
            ),
            torch="torch.abs",
            autograd="AbsBackward0",
            class_name="Abs",
        ),
    ]
}
OPS = OpTable(OPS)


def derived(build: Callable[[], T]) -> Callable[[], T]:
    """`build()`, built again whenever an operation is added to `OPS`, removed or replaced.

    Tables read from `OPS` (the functions a student can call, the operators' spellings, the
    parser's names) are derived through this rather than computed once at import, so that an
    operation added to the table is known everywhere at once.
    """
    seen: list[tuple[tuple[tuple[str, Op], ...], T]] = []

    def current() -> T:
        now = tuple(OPS.items())
        # Compared element by element, where the same Op object is equal to itself at once.
        if not seen or seen[0][0] != now:
            seen[:] = [(now, build())]
        return seen[0][1]

    return current


class DerivedTable(Mapping[str, str]):
    """A read-only dict derived from `OPS` when read (see `derived`)."""

    def __init__(self, build: Callable[[], dict[str, str]]) -> None:
        self._current = derived(build)

    def __getitem__(self, key: str) -> str:
        return self._current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return repr(self._current())


#: Functions a student can call by name; `ln` is the natural log, like `log`.
FUNCTIONS: Mapping[str, str] = DerivedTable(
    lambda: {
        **{name: name for name, op in OPS.items() if op.arity == 1 and not op.spellings},
        "ln": "log",
    }
)

#: Greek letters a student may type as variables, spelled out or as the letter; shown as the letter.
#: pi is the number π, not a variable; `Pi` is the capital letter Π, a variable. Capitals that look
#: like Latin letters (Alpha is A) are not here: the parser asks for the Latin letter instead.
GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "omicron": "ο",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Upsilon": "Υ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}


def variable_symbol(name: str) -> str:
    """A variable as diagrams and labels show it, Greek as the letter: theta_1 -> θ_1, xi -> ξ."""
    base = name.rstrip("0123456789_")
    return GREEK.get(base, base) + name[len(base) :]


#: Operators as typed, read between two operands (BINARY) or before one (PREFIX).
BINARY: Mapping[str, str] = DerivedTable(
    lambda: {s: op.name for op in OPS.values() if op.arity == 2 for s in op.spellings}
)
PREFIX: Mapping[str, str] = DerivedTable(
    lambda: {s: op.name for op in OPS.values() if op.arity == 1 for s in op.spellings}
)
