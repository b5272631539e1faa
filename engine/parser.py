"""From blackboard text to a graph: `2x + 3y`, `log(xy)+exp(xy)`, `sigmoid(w x + b)`.

The text is only ever read character by character here; nothing of it reaches `eval`, `exec` or
`sympify`. Parsing is iterative (operator precedence with explicit stacks), so no input can hit
Python's recursion limit, and every mistake raises `ParseError` at the character to blame.

What is read is what a mathematician reads:

- Greek letters are variables, spelled out or typed as letters (`theta`, `θ`, `xi`, `Omega`),
  and a known name is never cut apart: `xi` is ξ, not x·i; `theta` is θ, not t·h·η. The graph
  keeps the spelled-out name (`graph.variables == ("xi",)`, the name to give a value to) and
  `Node.symbol` shows the letter, so whoever meant x·i sees how it was read. `pi` and `π` are
  the number; `Pi` and `Π` are the capital letter, a variable. Capitals written like Latin
  letters (`Beta` is B) are refused with a message that says so.
- `σ(z)` and `sigma(z)` are the sigmoid function; σ anywhere else is the variable σ. The sigmoid's
  box is labelled "sigmoid", so no diagram shows a variable and an operation alike.
- Operators, their spellings (`^` and `**`, `*`, `×`, `·`), precedence and associativity are
  the operators' entries in `engine.ops.OPS`.

For display, two plain strings (never markup; show them as text):

- `graph.reading_notes`: a tuple of sentences, one per reading that people disagree on, in the
  order of the text: "1/2x is read as (1/2)·x", "x/yz is read as (x/y)·z", "2^3^2 is read as
  2^(3^2)", "-x^2 is read as −(x^2)", "e^2x is read as (e^2)·x", "σ(x) is read as sigmoid(x): …".
  Empty for most functions; at most `MAX_NOTES`.
- `read_as(graph)`: the whole function as read, every operator's operands in parentheses, Greek
  as letters, products as ·: `2x^2 + 1/2y` gives "(2·(x^2)) + ((1/2)·y)". It parses back into
  the same graph.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .graph import Graph, GraphBuilder, Node, TooLarge, cycle_collector_paused
from .ops import BINARY, FUNCTIONS, GREEK, OPS, PREFIX, Op, derived

#: Default limits, safe for a public app; a script can raise them (see `parse`). The node limit
#: keeps the diagram's layout of the worst function of that size under a second on a 2-core
#: machine (bench/layout.py; docs/reliability.md says how the layout is bounded).
MAX_LENGTH = 1000
MAX_NODES = 500
MAX_DEPTH = 50
#: At most this many reading notes per function; they repeat the same few conventions.
MAX_NOTES = 10

CONSTANTS = {"pi": math.pi, "e": math.e}
# Greek letters typed as symbols, including the variant forms keyboards and fonts produce
# (µ is the micro sign, which many keyboards type for mu).
GREEK_LETTERS = {letter: name for name, letter in GREEK.items()} | {
    "µ": "mu",
    "ϵ": "epsilon",
    "ϑ": "theta",
    "ϕ": "phi",
    "ϱ": "rho",
    "ς": "sigma",
}
# Capitals written like Latin letters: Beta is B. Read as names only to say so.
LATIN_CAPITALS = {
    "Alpha": "A",
    "Beta": "B",
    "Epsilon": "E",
    "Zeta": "Z",
    "Eta": "H",
    "Iota": "I",
    "Kappa": "K",
    "Mu": "M",
    "Nu": "N",
    "Omicron": "O",
    "Rho": "P",
    "Tau": "T",
    "Chi": "X",
}


@derived
def _names_by_first_letter() -> dict[str, list[str]]:
    """The known names by their first letter, longest first (read from the operations'
    table when it changes, so a function added to it is a name at once)."""
    names: dict[str, list[str]] = {}
    for name in sorted({*FUNCTIONS, *CONSTANTS, *GREEK, *LATIN_CAPITALS}, key=len, reverse=True):
        names.setdefault(name[0], []).append(name)
    return names


# Operators as typed (** before *), and what ² and ³ stand for.
_operators = derived(lambda: sorted({*BINARY, *PREFIX}, key=len, reverse=True))
SUPERSCRIPTS = {"²": "2", "³": "3"}
POWER = next(spelling for spelling, name in BINARY.items() if name == "pow")

OPERAND_HINT = "a number, a variable such as x, a function such as sin(x), or ( … )"


class ParseError(ValueError):
    """Text that is not a function we can read. `position` is a 0-based index into the text."""

    def __init__(self, message: str, position: int, text: str = ""):
        super().__init__(message)
        self.message = message
        self.position = position
        self.text = text

    def pointer(self) -> str:
        """The text with a caret under the problem, for a terminal or a code block."""
        return f"{self.text}\n{' ' * self.position}^"


@dataclass(frozen=True)
class Token:
    kind: str  # 'number', 'variable', 'constant', 'function', 'op', '(', ')', 'end'
    value: str  # the operator, name or number text
    position: int  # where it starts in the original text
    end: int


def _is_letter(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z") or ch in GREEK_LETTERS


_FORBIDDEN = {
    "=": "this is an equation; type only the function, e.g. x^2 instead of y = x^2",
    ",": "functions take one argument, e.g. exp(x); for two values, combine them, e.g. exp(x + y)",
    ";": "type one function only",
    "[": "use round parentheses ( ) for grouping",
    "]": "use round parentheses ( ) for grouping",
    "{": "use round parentheses ( ) for grouping",
    "}": "use round parentheses ( ) for grouping",
    '"': "no quotes are needed: type the function itself, e.g. sin(x)",
    "'": "no quotes are needed: type the function itself, e.g. sin(x)",
    "!": "factorials are not supported",
    "%": "percentages are not supported; write 0.05 for 5%",
    "|": "write abs(x) for the absolute value",
}


def _describe(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return f"'{ch}'"
    return f"character U+{ord(ch):04X}"


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in (" ", "\t"):
            i += 1
        elif ch == "π":
            tokens.append(Token("constant", "pi", i, i + 1))
            i += 1
        elif ch in SUPERSCRIPTS:
            tokens.append(Token("op", POWER, i, i + 1))
            tokens.append(Token("number", SUPERSCRIPTS[ch], i, i + 1))
            i += 1
        elif ch.isascii() and (ch.isdigit() or ch == "."):
            i = _read_number(text, i, tokens)
        elif _is_letter(ch):
            i = _read_letters(text, i, tokens)
        elif ch in "()":
            tokens.append(Token(ch, ch, i, i + 1))
            i += 1
        elif spelling := next((s for s in _operators() if text.startswith(s, i)), ""):
            tokens.append(Token("op", spelling, i, i + len(spelling)))
            i += len(spelling)
        elif ch in _FORBIDDEN:
            raise ParseError(f"{_describe(ch)} is not allowed here: {_FORBIDDEN[ch]}", i, text)
        elif not ch.isprintable() or ch.isspace():
            raise ParseError(
                f"unexpected {_describe(ch)}: remove it (only spaces may separate symbols)", i, text
            )
        else:
            raise ParseError(
                f"unexpected {_describe(ch)}: use numbers, letters, + - * / ^ and "
                "( ); for example 2x + sin(x)",
                i,
                text,
            )
    tokens.append(Token("end", "", n, n))
    return tokens


def _read_number(text: str, start: int, tokens: list[Token]) -> int:
    i, n = start, len(text)
    while i < n and text[i].isascii() and text[i].isdigit():
        i += 1
    if i < n and text[i] == ".":
        i += 1
        while i < n and text[i].isascii() and text[i].isdigit():
            i += 1
    digits = text[start:i]
    if digits == ".":
        raise ParseError("a lone '.' is not a number: write 0.5 or .5", start, text)
    if i < n and text[i] == ".":
        raise ParseError("a number has at most one decimal point, e.g. 1.2", i, text)
    # Scientific notation only when digits follow the e: 1e-3 is a number, 2e is 2·e.
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j].isascii() and text[j].isdigit():
            while j < n and text[j].isascii() and text[j].isdigit():
                j += 1
            i = j
    literal = text[start:i]
    value = float(literal)
    if math.isinf(value):
        raise ParseError(
            f"{literal} is too large to be a number here (the largest is about 1.8e308)",
            start,
            text,
        )
    if value == 0.0 and any(d in "123456789" for d in digits):
        raise ParseError(
            f"{literal} is too small to be a number here: it would be stored as 0 "
            "(the smallest above 0 is about 5e-324); write 0 if you mean zero",
            start,
            text,
        )
    tokens.append(Token("number", literal, start, i))
    return i


def _split_letters(run: str) -> list[str]:
    """Cut a run of Latin letters into names: `xy` -> x, y; `pix` -> pi, x; `xi` -> xi (ξ).

    A known name (a Greek letter, a function, pi, e) is never cut: of all the ways to read the
    run as known names and single letters, the one with the fewest single letters wins (`phi`
    is φ, not p·h·i; `theta` is θ, not t·h·η), then the one with the fewest pieces, then the one
    whose first pieces are longest. Filled from the end of the run, so it takes linear time.
    """
    n = len(run)
    # best[i] = (single letters, pieces, where the first piece of run[i:] ends)
    best: list[tuple[int, int, int]] = [(0, 0, n)] * (n + 1)
    known = _names_by_first_letter()
    for i in range(n - 1, -1, -1):
        choice: tuple[int, int, int] | None = None
        for name in known.get(run[i], ()):  # longest first: it wins a tie
            if run.startswith(name, i):
                singles, pieces, _ = best[i + len(name)]
                if choice is None or (singles, pieces + 1) < choice[:2]:
                    choice = (singles, pieces + 1, i + len(name))
        singles, pieces, _ = best[i + 1]  # or the letter on its own
        if choice is None or (singles + 1, pieces + 1) < choice[:2]:
            choice = (singles + 1, pieces + 1, i + 1)
        best[i] = choice
    cuts, i = [], 0
    while i < n:
        cuts.append(run[i : best[i][2]])
        i = best[i][2]
    return cuts


def _read_letters(text: str, start: int, tokens: list[Token]) -> int:
    i, n = start, len(text)
    while i < n and _is_letter(text[i]):
        i += 1
    # A Greek letter typed as a symbol is a piece of its own; runs of Latin letters are cut.
    split: list[tuple[str, int]] = []
    j = start
    while j < i:
        if text[j] in GREEK_LETTERS:
            split.append((GREEK_LETTERS[text[j]], j))
            j += 1
            continue
        k = j
        while k < i and text[k] not in GREEK_LETTERS:
            k += 1
        offset = j
        for name in _split_letters(text[j:k]):
            if name in LATIN_CAPITALS:
                latin, letter = LATIN_CAPITALS[name], GREEK[name.lower()]
                raise ParseError(
                    f"'{name}' is the capital of {letter}, written like the Latin "
                    f"letter {latin}: write {latin}, or {name.lower()} for {letter}",
                    offset,
                    text,
                )
            split.append((name, offset))
            offset += len(name)
        j = k
    # Digits, or _ and digits, continue a one-letter variable's name: w1, x_2, theta1.
    suffix_end = i
    if i < n and text[i] == "_":
        j = i + 1
        while j < n and text[j].isascii() and text[j].isdigit():
            j += 1
        if j == i + 1:
            raise ParseError(
                "an underscore in a name must be followed by digits, e.g. x_1", i, text
            )
        suffix_end = j
    elif i < n and text[i].isascii() and text[i].isdigit():
        j = i
        while j < n and text[j].isascii() and text[j].isdigit():
            j += 1
        suffix_end = j
    last_name = split[-1][0]
    takes_suffix = last_name not in FUNCTIONS and last_name not in CONSTANTS
    if suffix_end > i and takes_suffix:
        split[-1] = (last_name + text[i:suffix_end], split[-1][1])
        i = suffix_end

    followed_by_paren = _next_nonspace(text, i) == "("
    if followed_by_paren and split[-1][0] == "sigma":
        # σ(z) is the sigmoid function, as in every text on neural networks; σ·(z) is a product.
        split[-1] = ("sigmoid", split[-1][1])
    run_text = text[start:i]
    # A word that is no known name, right before '(', is a mistyped function: sinn(x), Exp(x).
    # A Greek variable is a known name: theta(x + 1) is θ·(x + 1), as x(y + 1) is x·(y + 1).
    last_name = split[-1][0]
    if (
        followed_by_paren
        and last_name not in FUNCTIONS
        and last_name not in GREEK
        and len(run_text) >= 3
        and run_text.isalpha()
    ):
        word = run_text.lower()
        # A function's name spelled out further (cosine, logarithm) means that function.
        close = sorted((f for f in FUNCTIONS if word.startswith(f)), key=len)[
            -1:
        ] or difflib.get_close_matches(word, sorted(FUNCTIONS), n=1, cutoff=0.6)
        hint = (
            f"did you mean {close[0]}?"
            if close
            else f"known functions are {', '.join(sorted(FUNCTIONS))}"
        )
        raise ParseError(
            f"unknown function '{run_text}': {hint} (for a product of variables, "
            "put spaces or *, e.g. x y (x+1))",
            start,
            text,
        )

    for k, (name, p) in enumerate(split):
        end = split[k + 1][1] if k + 1 < len(split) else i
        if name in FUNCTIONS:
            kind = "function"
        elif name in CONSTANTS:
            kind = "constant"
        else:
            kind = "variable"
        tokens.append(Token(kind, name, p, end))
    return i


def _next_nonspace(text: str, i: int) -> str:
    while i < len(text) and text[i] in " \t":
        i += 1
    return text[i] if i < len(text) else ""


def parse(
    text: str,
    *,
    merge: bool = True,
    max_length: int = MAX_LENGTH,
    max_nodes: int = MAX_NODES,
    max_depth: int = MAX_DEPTH,
) -> Graph:
    """Parse a function as written on a blackboard into its computation graph.

    `merge=True` makes identical subexpressions one node (a DAG, with fan-out); `merge=False`
    builds the expression tree. `max_length` (characters), `max_nodes` (graph nodes) and
    `max_depth` (nested parentheses and functions) refuse text too large for an interactive app;
    raise them for scripts. Raises `ParseError` for anything that is not a function we can read.

    The graph's `reading_notes` say how parts that people read differently were read
    ("1/2x is read as (1/2)·x"); `read_as(graph)` is the whole reading, fully parenthesised.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}", 0, "")
    if len(text) > max_length:
        raise ParseError(
            f"the text is {len(text):,} characters long; the limit is "
            f"{max_length:,}: type a shorter function",
            max_length,
            text,
        )
    if not text.strip():
        raise ParseError(
            "the function is empty: type one, for example x^2 or log(xy)+exp(xy)", 0, text
        )
    with cycle_collector_paused():  # tokens and nodes pile up; see cycle_collector_paused
        tokens = tokenize(text)
        builder = GraphBuilder(merge=merge, max_nodes=max_nodes)
        parser = _Parser(text, tokens, builder, max_depth)
        try:
            output = parser.run()
        except TooLarge as err:
            raise ParseError(
                f"the function's graph has more than {max_nodes:,} nodes (boxes), the limit "
                "here: type a smaller function (a part written twice, such as sin(x), is one "
                "box)",
                err.position,
                text,
            ) from None
        graph = builder.finish(output, text)
        graph.reading_notes = parser.reading_notes()
        return graph


def read_as(graph: Graph) -> str:
    """The function as it was read, with every operator's operands in parentheses.

    Greek variables are shown as letters and products with ·: `1/2x + theta^2` reads
    "((1/2)·x) + (θ^2)". It parses back into the same graph. Built with an explicit stack.
    """
    return _reading(graph.nodes, graph.output)


def _is_operator(node: Node) -> bool:
    return node.kind == "operation" and bool(OPS[node.label].spellings)


def written(
    nodes: Sequence[Node],
    root: int,
    parenthesised: Callable[[Op, Node, int], bool],
    limit: int | None = None,
) -> str:
    """The expression at `root` written out, an operand in parentheses where
    `parenthesised(operator, operand, position)` says so. Built with an explicit stack; with
    `limit`, its first `limit` characters and "…" where it is longer."""
    parts: list[str] = []
    length = 0
    stack: list[str | int] = [root]
    while stack:
        if limit is not None and length > limit:
            return "".join(parts)[:limit] + "…"
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            length += len(item)
            continue
        node = nodes[item]
        op = node.op
        if op is None:
            parts.append(node.symbol)
            length += len(node.symbol)
            continue
        if not op.spellings:  # a function: sin(…)
            stack.extend([")", node.args[0], f"{op.name}("])
            continue
        pieces: list[str | int] = [op.written] if op.arity == 1 else []
        for k, a in enumerate(node.args):
            if k:
                pieces.append(op.written)
            pieces.extend(["(", a, ")"] if parenthesised(op, nodes[a], k) else [a])
        stack.extend(reversed(pieces))
    text = "".join(parts)
    return text if limit is None or len(text) <= limit else text[:limit] + "…"


def _reading(nodes: Sequence[Node], root: int) -> str:
    return written(nodes, root, lambda _op, operand, _k: _is_operator(operand))


@dataclass
class _Pending:
    """An operator, function or '(' on the operator stack, waiting for its operands."""

    kind: str  # 'binary', 'prefix', '(' or 'function'
    op: str  # the operation's name, or '('
    token: Token
    note: bool = False  # the result is read in a way people disagree on: say how


@dataclass(frozen=True)
class _Operand:
    node: int
    start: int  # where its text starts and ends, parentheses included
    end: int


class _Parser:
    """Operator precedence parsing with an operand stack and an operator stack.

    Precedence and associativity come from the operators' entries in `engine.ops.OPS`.
    """

    def __init__(self, text: str, tokens: list[Token], builder: GraphBuilder, max_depth: int):
        self.text, self.tokens, self.builder, self.max_depth = text, tokens, builder, max_depth
        self.operands: list[_Operand] = []
        self.operators: list[_Pending] = []
        self.notes: list[tuple[int, int, int, str]] = []  # start, end, node, what to add
        self.depth = 0
        self.index = 0

    def error(self, message: str, position: int) -> ParseError:
        return ParseError(message, position, self.text)

    def typed(self, token: Token) -> str:
        """The token as the student typed it: ** or ², not the ^ it stands for."""
        return self.text[token.position : token.end]

    def run(self) -> int:
        expect_operand = True
        previous: Token | None = None
        for index, token in enumerate(self.tokens):
            self.index = index
            if expect_operand:
                expect_operand = self.operand(token, previous)
            else:
                expect_operand = self.after_operand(token, previous)
            previous = token
        return self.operands[-1].node

    def push(self, node: int, start: int, end: int, note: str | None = None) -> None:
        self.operands.append(_Operand(node, start, end))
        if note is not None:
            self.notes.append((start, end, node, note))

    def reading_notes(self) -> tuple[str, ...]:
        """One sentence per reading people disagree on, in the order of the text."""
        notes: list[str] = []
        seen: set[str] = set()
        for start, end, node, more in sorted(self.notes):
            typed = self.text[start:end].strip()
            key = more or typed  # a convention explained once: σ(x)σ(y) needs one note
            if key in seen:
                continue
            seen.add(key)
            if len(notes) == MAX_NOTES:
                break
            notes.append(f"{typed} is read as {_reading(self.builder.nodes, node)}{more}")
        return tuple(notes)

    # -- states ------------------------------------------------------------------------------
    def operand(self, token: Token, previous: Token | None) -> bool:
        """Read a token where an operand must start. Returns whether an operand is still due."""
        kind = token.kind
        if kind == "number":
            self.push(
                self.builder.constant(float(token.value), token.value, token.position),
                token.position,
                token.end,
            )
            return False
        if kind == "variable":
            capital_pi = token.value == "Pi" and self.typed(token) == "Pi"
            self.push(
                self.builder.variable(token.value, token.position),
                token.position,
                token.end,
                " (capital pi, a variable); for the number π, write pi" if capital_pi else None,
            )
            return False
        if kind == "constant":
            self.push(
                self.builder.constant(
                    CONSTANTS[token.value], "π" if token.value == "pi" else "e", token.position
                ),
                token.position,
                token.end,
            )
            return False
        if kind == "function":
            following = self.tokens[self.index + 1]
            if following.kind != "(":
                name = token.value
                if BINARY.get(following.value) == "pow":
                    fix = f"{name}(x)^2 for the square of {name}(x)"
                else:
                    fix = f"{name}({self.text[following.position : following.end] or 'x'})"
                raise self.error(f"'{name}' needs parentheses: write {fix}", following.position)
            # σ(z) typed for sigmoid(z): say so, for whoever meant the variable σ times (z).
            renamed = self.typed(token) not in FUNCTIONS
            self.operators.append(_Pending("function", FUNCTIONS[token.value], token, renamed))
            return True
        if kind == "(":
            self.open(token)
            return True
        if kind == "op" and (token.value in PREFIX or BINARY.get(token.value) == "add"):
            if token.value in PREFIX:  # a + before an operand changes nothing
                self.operators.append(_Pending("prefix", PREFIX[token.value], token))
            return True
        where = (
            f"after '{self.typed(previous)}'"
            if previous is not None and previous.value
            else "at the start"
        )
        if kind == ")":
            if previous is not None and previous.kind == "(":
                raise self.error(
                    "empty parentheses: put an expression inside, e.g. (x + 1)", token.position
                )
            raise self.error(f"')' cannot come {where}: expected {OPERAND_HINT}", token.position)
        if kind == "end":
            if previous is None:
                raise self.error("the function is empty: type one, e.g. x^2", token.position)
            raise self.error(
                f"the function ends too early: after '{self.typed(previous)}' write {OPERAND_HINT}",
                token.position,
            )
        raise self.error(
            f"'{self.typed(token)}' cannot come {where}: expected {OPERAND_HINT}", token.position
        )

    def after_operand(self, token: Token, previous: Token | None) -> bool:
        """Read a token after a complete operand. Returns whether an operand is now due."""
        kind = token.kind
        if kind == "op":
            if token.value not in BINARY:
                raise self.error(
                    f"'{self.typed(token)}' cannot come after a value: put it "
                    "before one, or write an operator such as + between",
                    token.position,
                )
            self.binary(BINARY[token.value], token)
            return True
        if kind == ")":
            self.close(token)
            return False
        if kind == "end":
            self.finish()
            return False
        if kind == "number":
            raise self.error(
                f"a number cannot directly follow a value: write * before "
                f"{token.value}, or put the number first (2x)",
                token.position,
            )
        # Implicit multiplication: 2x, xy, x(y+1), (x+1)(x-1), 2sin(x), pi x^2.
        glued = previous is not None and previous.end == token.position
        self.binary("mul", token, implicit=True, glued=glued)
        return self.operand(token, None)

    # -- stack work ---------------------------------------------------------------------------
    def open(self, token: Token) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise self.error(
                f"more than {self.max_depth} nested parentheses, the limit here: "
                "simplify the function",
                token.position,
            )
        self.operators.append(_Pending("(", "(", token))

    def binary(self, name: str, token: Token, implicit: bool = False, glued: bool = False) -> None:
        op = OPS[name]
        note = False
        while self.operators:
            top = self.operators[-1]
            if top.kind not in ("binary", "prefix"):
                break
            above = OPS[top.op]
            if above.precedence > op.precedence or (
                above.precedence == op.precedence and not op.right_associative
            ):
                # A product without a sign takes what came before as a whole, which not
                # everyone expects: 1/2x is (1/2)·x and e^2x is (e^2)·x.
                if (
                    implicit
                    and top.kind == "binary"
                    and (
                        (above.precedence == op.precedence and top.op != name)
                        or (above.precedence > op.precedence and glued)
                    )
                ):
                    note = True
                self.reduce()
            else:
                # 2^3^2 is 2^(3^2) and -x^2 is -(x^2): readings people disagree on.
                if top.op == name or top.kind == "prefix":
                    top.note = True
                break
        self.operators.append(_Pending("binary", name, token, note))

    def reduce(self) -> None:
        pending = self.operators.pop()
        note = "" if pending.note else None
        if pending.kind == "prefix":
            a = self.operands.pop()
            self.push(
                self.builder.operation(pending.op, (a.node,), pending.token.position),
                pending.token.position,
                a.end,
                note,
            )
        else:
            b = self.operands.pop()
            a = self.operands.pop()
            self.push(
                self.builder.operation(pending.op, (a.node, b.node), pending.token.position),
                a.start,
                b.end,
                note,
            )

    def close(self, token: Token) -> None:
        while self.operators and self.operators[-1].kind in ("binary", "prefix"):
            self.reduce()
        if not self.operators:
            raise self.error("')' has no matching '(': remove it or add '(' before", token.position)
        opening = self.operators.pop()  # the '('
        self.depth -= 1
        inside = self.operands.pop()
        if self.operators and self.operators[-1].kind == "function":
            function = self.operators.pop()
            node = self.builder.operation(function.op, (inside.node,), function.token.position)
            typed = self.typed(function.token)
            self.push(
                node,
                function.token.position,
                token.end,
                f": {typed} before ( is the {function.op} function; for the variable "
                f"{typed} times (…), write {typed}*(…)"
                if function.note
                else None,
            )
        else:
            self.operands.append(_Operand(inside.node, opening.token.position, token.end))

    def finish(self) -> None:
        while self.operators:
            top = self.operators[-1]
            if top.kind == "(":
                raise self.error("'(' is never closed: add ')'", top.token.position)
            self.reduce()
