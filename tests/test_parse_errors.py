"""Text that is not a function: each mistake raises ParseError (a ValueError), points at the
character to blame and says what is wrong and what would work."""

from __future__ import annotations

import re

import pytest

import engine

# (text, acceptable positions, words the message must contain: what is wrong / what works)
CASES: list[tuple[str, set[int], str]] = [
    # the text ends while an operand is still due: point just past the end
    ("x +", {3}, r"ends too early.*'\+'"),
    ("x ^", {3}, r"ends too early"),
    ("x**", {3}, r"ends too early.*'\*\*'"),
    ("sin(", {4}, r"ends too early"),
    ("(", {1}, r"ends too early"),
    ("2 *    ", {7}, r"ends too early"),
    # unbalanced parentheses: point at the one without a partner
    ("(x", {0}, r"never closed.*add '\)'"),
    ("log(x", {3}, r"never closed"),
    ("((x)", {0, 1}, r"never closed"),
    ("x + (y", {4}, r"never closed"),
    ("x)", {1}, r"no matching '\('"),
    ("(x + y))", {7}, r"no matching '\('"),
    ("x)(y", {1}, r"no matching '\('"),
    (")", {0}, r"'\)'"),
    ("()", {1}, r"empty parentheses"),
    ("exp()", {4}, r"empty parentheses"),
    # an operator where an operand must be
    ("*x", {0}, r"'\*' cannot come at the start"),
    ("/x", {0}, r"'/' cannot come at the start"),
    ("^2", {0}, r"'\^' cannot come at the start"),
    ("x +* y", {3}, r"'\*' cannot come after '\+'"),
    ("x * / y", {4}, r"'/' cannot come after '\*'"),
    ("²", {0}, r"'²' cannot come at the start"),
    ("x+²", {2}, r"'²' cannot come after '\+'"),
    # more than one argument, equations, other brackets, several functions
    ("exp(x, y)", {5}, r"','.*one argument"),
    ("x = 1", {2}, r"'='.*equation"),
    ("=x", {0}, r"'='"),
    ("[x]", {0}, r"'\['.*round parentheses"),
    ("{x}", {0}, r"'\{'.*round parentheses"),
    ("x; y", {1}, r"';'.*one function"),
    ("|x|", {0}, r"'\|'.*abs\(x\)"),
    # numbers
    ("1..2", {1, 2}, r"decimal point"),
    ("1.2.3", {3}, r"decimal point"),
    (".", {0}, r"lone '\.'.*0\.5"),
    ("x.y", {1}, r"'\.'"),
    ("1e400", {0}, r"too large"),
    ("2 3", {2}, r"number cannot directly follow.*\*"),
    ("x 2", {2}, r"number cannot directly follow"),
    ("e2", {1}, r"number cannot directly follow"),
    # quotes and characters that are not part of the syntax
    ('"x"', {0}, r"quotes"),
    ("'x'", {0}, r"quotes"),
    ('sin("x")', {4}, r"quotes"),
    ("x!", {1}, r"factorial"),
    ("x%", {1}, r"percent"),
    ("x $ y", {2}, r"'\$'"),
    ("@", {0}, r"'@'"),
    ("x < y", {2}, r"'<'"),
    ("x ~ y", {2}, r"'~'"),
    ("`x`", {0}, r"'`'"),
    ("x \\ y", {2}, r"'\\'"),
    # control and invisible characters, by code point since they cannot be seen
    ("x\x00", {1}, r"U\+0000"),
    ("x\ny", {1}, r"U\+000A"),
    ("x\r", {1}, r"U\+000D"),
    ("x\x1b+y", {1}, r"U\+001B"),
    ("x\x7f", {1}, r"U\+007F"),
    ("x\u200b+y", {1}, r"U\+200B"),
    ("x\u00a0+ y", {1}, r"U\+00A0"),
    # names
    ("x_", {1}, r"underscore.*digits"),
    ("x__1", {1}, r"underscore.*digits"),
    ("sinn(x)", {0}, r"unknown function 'sinn'.*did you mean sin\?"),
    ("sigmod(x)", {0}, r"unknown function 'sigmod'.*did you mean sigmoid\?"),
    ("Exp(x)", {0}, r"unknown function 'Exp'.*did you mean exp\?"),
    ("cosine(x)", {0}, r"unknown function 'cosine'.*did you mean cos\?"),
    ("tanhh(x)", {0}, r"did you mean tanh\?"),
    ("sqr(x)", {0}, r"did you mean sqrt\?"),
    ("foo(x)", {0}, r"unknown function 'foo'.*sin"),
    ("2 + xyz(x)", {4}, r"unknown function 'xyz'.*x y"),
    ("sin x", {3, 4}, r"write sin\(x\)"),
    ("cos x", {3, 4}, r"write cos\(x\)"),
    ("sigmoid x", {7, 8}, r"write sigmoid\(x\)"),
    ("2 + exp y", {7, 8}, r"write exp\(y\)"),
    ("sin", {3}, r"sin\(x\)"),
    ("ln", {2}, r"ln\(x\)"),
    ("sin^2(x)", {3}, r"sin\(x\)\^2"),
    ("sin²(x)", {3}, r"sin\(x\)\^2"),
    # nothing at all
    ("", {0}, r"empty"),
    ("   ", {0, 1, 2, 3}, r"empty"),
    ("\t", {0, 1}, r"empty"),
]


@pytest.mark.parametrize("text, positions, message", CASES, ids=[repr(c[0]) for c in CASES])
def test_malformed_text_raises_parse_error_at_the_right_place(
    text: str, positions: set[int], message: str
) -> None:
    # pytest.raises(ParseError) lets any other exception through, which fails the test.
    with pytest.raises(engine.ParseError) as caught:
        engine.parse(text)
    err = caught.value
    assert isinstance(err, ValueError)
    assert err.position in positions, f"{err} at {err.position}"
    assert re.search(message, str(err)), str(err)
    assert err.text == text


def test_every_message_says_what_would_work() -> None:
    # Not only "unexpected ..." but a fix or an example: 'write', 'add', 'use', 'e.g.' and so on.
    advice = re.compile(
        r"write|add|remove|use|put|e\.g\.|type|did you mean|known functions|"
        r"for example|combine|not supported|expected|the largest is"
    )
    for text, _, _ in CASES:
        with pytest.raises(engine.ParseError) as caught:
            engine.parse(text)
        assert advice.search(str(caught.value)), f"{text!r}: {caught.value}"


def test_the_pointer_puts_a_caret_under_the_problem() -> None:
    with pytest.raises(engine.ParseError) as caught:
        engine.parse("2x + * 3")
    assert caught.value.position == 5
    assert caught.value.pointer() == "2x + * 3\n     ^"


def test_positions_count_characters_not_bytes() -> None:
    # Multi-byte characters before the problem must not shift the caret.
    with pytest.raises(engine.ParseError) as caught:
        engine.parse("π × θ @ 2")
    assert caught.value.position == 6


@pytest.mark.parametrize("not_text", [None, 42, b"x + 1", ["x"]])
def test_text_that_is_not_a_string(not_text: object) -> None:
    with pytest.raises(engine.ParseError):
        engine.parse(not_text)  # type: ignore[arg-type]


# -- size limits -------------------------------------------------------------------------------


def test_default_limits_are_reasonable() -> None:
    assert engine.MAX_LENGTH >= 200 and engine.MAX_NODES >= 100 and engine.MAX_DEPTH >= 10


def test_text_longer_than_the_limit_is_refused() -> None:
    text = "x + " * (engine.MAX_LENGTH // 4) + "x"
    assert len(text) > engine.MAX_LENGTH
    with pytest.raises(engine.ParseError, match="characters long") as caught:
        engine.parse(text)
    assert caught.value.position == engine.MAX_LENGTH
    # The same text parses once the limit allows it.
    assert (
        engine.parse(text, max_length=len(text), max_nodes=10**4).evaluate(x=1.0)
        == engine.MAX_LENGTH // 4 + 1
    )


def test_length_limit_is_exact() -> None:
    assert engine.parse("x" + " " * 9, max_length=10).variables == ("x",)
    with pytest.raises(engine.ParseError):
        engine.parse("x" + " " * 10, max_length=10)


def test_a_huge_text_is_refused_before_it_is_read() -> None:
    # Would otherwise be a ParseError only after reading ten million characters.
    with pytest.raises(engine.ParseError, match="limit"):
        engine.parse("x+" * 5_000_000 + "(")


def test_too_many_nodes_is_refused() -> None:
    # 1 + 2 + ... + 10: the numbers and 9 additions are 19 nodes.
    text = " + ".join(str(k) for k in range(1, 11))
    assert engine.parse(text, max_nodes=19).evaluate() == 55.0
    with pytest.raises(engine.ParseError, match="nodes") as caught:
        engine.parse(text, max_nodes=18)
    assert 0 <= caught.value.position < len(text)


def test_shared_subexpressions_do_not_count_twice() -> None:
    # Ten copies of sin(x) are two nodes, x and sin; the nine additions make eleven.
    assert len(engine.parse(" + ".join(["sin(x)"] * 10), max_nodes=11).nodes) == 11


def test_default_node_limit_applies() -> None:
    text = "+".join(f"x{k}" for k in range(engine.MAX_NODES))
    assert len(text) < 10 * engine.MAX_NODES
    with pytest.raises(engine.ParseError, match="nodes"):
        engine.parse(text, max_length=len(text))


def test_too_deep_nesting_is_refused_at_the_opening_parenthesis() -> None:
    depth = engine.MAX_DEPTH + 1
    text = "(" * depth + "x" + ")" * depth
    with pytest.raises(engine.ParseError, match="nested") as caught:
        engine.parse(text)
    assert caught.value.position == engine.MAX_DEPTH  # the first '(' over the limit
    assert engine.parse(text, max_depth=depth).evaluate(x=2.0) == 2.0


def test_nested_functions_count_as_depth() -> None:
    text = "sin(" * 5 + "x" + ")" * 5
    assert engine.parse(text, max_depth=5).variables == ("x",)
    with pytest.raises(engine.ParseError, match="nested"):
        engine.parse(text, max_depth=4)


def test_limits_raised_for_a_script_build_a_chain_100000_deep() -> None:
    g = engine.parse("+".join(["x"] * 100_000), max_length=10**7, max_nodes=10**6)
    assert len(g.nodes) == 100_000
