"""From blackboard text to a graph: `2x + 3y`, `log(xy)+exp(xy)`, `sigmoid(w x + b)`.

The text is only ever read character by character here; nothing of it reaches `eval`, `exec` or
`sympify`. Parsing is iterative (operator precedence with explicit stacks), so no input can hit
Python's recursion limit, and every mistake raises `ParseError` at the character to blame.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

from .graph import Graph, GraphBuilder, TooLarge, cycle_collector_paused
from .ops import BINARY, FUNCTIONS, GREEK

#: Default limits, safe for a public app; a script can raise them (see `parse`). The node limit
#: keeps the diagram's layout and the step deck of the worst function (x*x*…*x, where one input
#: feeds every level) near a second: 1.3 s and 4.5 MB at 200 nodes on a 2-core machine.
MAX_LENGTH = 1000
MAX_NODES = 200
MAX_DEPTH = 50

GREEK_LETTERS = {letter: name for name, letter in GREEK.items()}
CONSTANTS = {"pi": math.pi, "e": math.e}
KNOWN_NAMES = sorted({*FUNCTIONS, *CONSTANTS, *GREEK}, key=len, reverse=True)

# Characters typed from phones, slides and word processors, read as their ASCII twins.
ALIASES = {"×": "*", "·": "*", "⋅": "*", "−": "-", "–": "-", "π": "pi"}
SUPERSCRIPTS = {"²": "2", "³": "3"}

PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
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
    kind: str      # 'number', 'variable', 'constant', 'function', 'op', '(', ')', 'end'
    value: str     # the operator, name or number text
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
        ch = ALIASES.get(ch, ch)
        if ch in (" ", "\t"):
            i += 1
        elif ch == "pi":  # π typed as a symbol
            tokens.append(Token("constant", "pi", i, i + 1))
            i += 1
        elif ch in SUPERSCRIPTS:
            tokens.append(Token("op", "^", i, i + 1))
            tokens.append(Token("number", SUPERSCRIPTS[ch], i, i + 1))
            i += 1
        elif ch.isascii() and (ch.isdigit() or ch == "."):
            i = _read_number(text, i, tokens)
        elif _is_letter(ch):
            i = _read_letters(text, i, tokens)
        elif ch == "*" and text.startswith("**", i):
            tokens.append(Token("op", "^", i, i + 2))
            i += 2
        elif ch in "+-*/^":
            tokens.append(Token("op", ch, i, i + 1))
            i += 1
        elif ch in "()":
            tokens.append(Token(ch, ch, i, i + 1))
            i += 1
        elif ch in _FORBIDDEN:
            raise ParseError(f"{_describe(ch)} is not allowed here: {_FORBIDDEN[ch]}", i, text)
        elif not ch.isprintable() or ch.isspace():
            raise ParseError(f"unexpected {_describe(ch)}: remove it (only spaces may separate "
                             "symbols)", i, text)
        else:
            raise ParseError(f"unexpected {_describe(ch)}: use numbers, letters, + - * / ^ and "
                             "( ); for example 2x + sin(x)", i, text)
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
    value = float(text[start:i])
    if math.isinf(value):
        raise ParseError(f"{text[start:i]} is too large to be a number here (the largest is "
                         "about 1.8e308)", start, text)
    tokens.append(Token("number", text[start:i], start, i))
    return i


def _split_letters(run: str) -> list[str]:
    """`xy` -> x, y; `pix` -> pi, x; `xsin` -> x, sin: longest known name first, else one letter."""
    pieces, i = [], 0
    while i < len(run):
        name = next((k for k in KNOWN_NAMES if run.startswith(k, i)), run[i])
        pieces.append(name)
        i += len(name)
    return pieces


def _read_letters(text: str, start: int, tokens: list[Token]) -> int:
    i, n = start, len(text)
    while i < n and _is_letter(text[i]):
        i += 1
    # A Greek letter typed as a symbol is a piece of its own; runs of Latin letters are split.
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
            raise ParseError("an underscore in a name must be followed by digits, e.g. x_1",
                             i, text)
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
    run_text = text[start:i]
    # A word that is no known name, right before '(', is a mistyped function: sinn(x), Exp(x).
    # A Greek variable is a known name: theta(x + 1) is theta·(x + 1), as x(y + 1) is x·(y + 1).
    if followed_by_paren and split[-1][0] not in FUNCTIONS and len(run_text) >= 3 \
            and run_text.isalpha() and run_text not in GREEK:
        word = run_text.lower()
        # A function's name spelled out further (cosine, logarithm) means that function.
        close = sorted((f for f in FUNCTIONS if word.startswith(f)), key=len)[-1:] or \
            difflib.get_close_matches(word, sorted(FUNCTIONS), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}?" if close else \
            f"known functions are {', '.join(sorted(FUNCTIONS))}"
        raise ParseError(f"unknown function '{run_text}': {hint} (for a product of variables, "
                         "put spaces or *, e.g. x y (x+1))", start, text)

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


def parse(text: str, *, merge: bool = True, max_length: int = MAX_LENGTH,
          max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> Graph:
    """Parse a function as written on a blackboard into its computation graph.

    `merge=True` makes identical subexpressions one node (a DAG, with fan-out); `merge=False`
    builds the expression tree. `max_length` (characters), `max_nodes` (graph nodes) and
    `max_depth` (nested parentheses and functions) refuse text too large for an interactive app;
    raise them for scripts. Raises `ParseError` for anything that is not a function we can read.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}", 0, "")
    if len(text) > max_length:
        raise ParseError(f"the text is {len(text):,} characters long; the limit is "
                         f"{max_length:,}: type a shorter function", max_length, text)
    if not text.strip():
        raise ParseError("the function is empty: type one, for example x^2 or log(xy)+exp(xy)",
                         0, text)
    with cycle_collector_paused():  # tokens and nodes pile up; see cycle_collector_paused
        tokens = tokenize(text)
        builder = GraphBuilder(merge=merge, max_nodes=max_nodes)
        try:
            output = _Parser(text, tokens, builder, max_depth).run()
        except TooLarge as err:
            raise ParseError(f"the function has more than {max_nodes:,} nodes, the limit here: "
                             "type a smaller function", err.position, text) from None
        return builder.finish(output, text)


class _Parser:
    """Operator precedence parsing with an operand stack and an operator stack."""

    def __init__(self, text: str, tokens: list[Token], builder: GraphBuilder, max_depth: int):
        self.text, self.tokens, self.builder, self.max_depth = text, tokens, builder, max_depth
        self.operands: list[int] = []
        # Entries: (kind, value, token) with kind 'binary', 'prefix', '(' or 'function'.
        self.operators: list[tuple[str, str, Token]] = []
        self.depth = 0
        self.index = 0

    def error(self, message: str, position: int) -> ParseError:
        return ParseError(message, position, self.text)

    def typed(self, token: Token) -> str:
        """The token as the student typed it: ** or ², not the ^ it stands for."""
        return self.text[token.position:token.end]

    def run(self) -> int:
        expect_operand = True
        previous: Token | None = None
        for self.index, token in enumerate(self.tokens):
            if expect_operand:
                expect_operand = self.operand(token, previous)
            else:
                expect_operand = self.after_operand(token)
            previous = token
        return self.operands[-1]

    # -- states ------------------------------------------------------------------------------
    def operand(self, token: Token, previous: Token | None) -> bool:
        """Read a token where an operand must start. Returns whether an operand is still due."""
        kind = token.kind
        if kind == "number":
            self.operands.append(self.builder.constant(float(token.value), token.value,
                                                       token.position))
            return False
        if kind == "variable":
            self.operands.append(self.builder.variable(token.value, token.position))
            return False
        if kind == "constant":
            self.operands.append(self.builder.constant(CONSTANTS[token.value],
                                                       "π" if token.value == "pi" else "e",
                                                       token.position))
            return False
        if kind == "function":
            following = self.tokens[self.index + 1]
            if following.kind != "(":
                name = token.value
                if following.value == "^":
                    fix = f"{name}(x)^2 for the square of {name}(x)"
                else:
                    fix = f"{name}({self.text[following.position:following.end] or 'x'})"
                raise self.error(f"'{name}' needs parentheses: write {fix}",
                                 following.position)
            self.operators.append(("function", FUNCTIONS[token.value], token))
            return True
        if kind == "(":
            self.open(token)
            return True
        if kind == "op" and token.value in "+-":
            if token.value == "-":
                self.operators.append(("prefix", "neg", token))
            return True
        where = f"after '{self.typed(previous)}'" if previous is not None and previous.value else \
            "at the start"
        if kind == ")":
            if previous is not None and previous.kind == "(":
                raise self.error("empty parentheses: put an expression inside, e.g. (x + 1)",
                                 token.position)
            raise self.error(f"')' cannot come {where}: expected {OPERAND_HINT}", token.position)
        if kind == "end":
            if previous is None:
                raise self.error("the function is empty: type one, e.g. x^2", token.position)
            raise self.error(f"the function ends too early: after '{self.typed(previous)}' write "
                             f"{OPERAND_HINT}", token.position)
        raise self.error(f"'{self.typed(token)}' cannot come {where}: expected {OPERAND_HINT}",
                         token.position)

    def after_operand(self, token: Token) -> bool:
        """Read a token after a complete operand. Returns whether an operand is now due."""
        kind = token.kind
        if kind == "op":
            self.binary(BINARY[token.value], token)
            return True
        if kind == ")":
            self.close(token)
            return False
        if kind == "end":
            self.finish()
            return False
        if kind == "number":
            raise self.error(f"a number cannot directly follow a value: write * before "
                             f"{token.value}, or put the number first (2x)", token.position)
        # Implicit multiplication: 2x, xy, x(y+1), (x+1)(x-1), 2sin(x), pi x^2.
        self.binary("mul", token)
        return self.operand(token, None)

    # -- stack work ---------------------------------------------------------------------------
    def open(self, token: Token) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise self.error(f"more than {self.max_depth} nested parentheses, the limit here: "
                             "simplify the function", token.position)
        self.operators.append(("(", "(", token))

    def binary(self, op: str, token: Token) -> None:
        precedence = PRECEDENCE[op]
        right_associative = op == "pow"
        while self.operators:
            kind, top, _ = self.operators[-1]
            if kind not in ("binary", "prefix"):
                break
            if PRECEDENCE[top] > precedence or (PRECEDENCE[top] == precedence
                                                 and not right_associative):
                self.reduce()
            else:
                break
        self.operators.append(("binary", op, token))

    def reduce(self) -> None:
        kind, op, token = self.operators.pop()
        if kind == "prefix":
            self.operands.append(self.builder.operation(op, (self.operands.pop(),),
                                                        token.position))
        else:
            b = self.operands.pop()
            a = self.operands.pop()
            self.operands.append(self.builder.operation(op, (a, b), token.position))

    def close(self, token: Token) -> None:
        while self.operators and self.operators[-1][0] in ("binary", "prefix"):
            self.reduce()
        if not self.operators:
            raise self.error("')' has no matching '(': remove it or add '(' before",
                             token.position)
        self.operators.pop()  # the '('
        self.depth -= 1
        if self.operators and self.operators[-1][0] == "function":
            _, name, function_token = self.operators.pop()
            self.operands.append(self.builder.operation(name, (self.operands.pop(),),
                                                        function_token.position))

    def finish(self) -> None:
        while self.operators:
            kind, _, token = self.operators[-1]
            if kind == "(":
                raise self.error("'(' is never closed: add ')'", token.position)
            self.reduce()
