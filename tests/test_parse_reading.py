"""What the parser reads is what a mathematician reads: Greek letters are variables and never
cut apart, σ(z) is sigmoid, readings people disagree on come with a note, and `read_as` shows the
whole reading with full parentheses."""

from __future__ import annotations

import itertools
import json
import math
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import engine
from engine.__main__ import main as cli_main
from engine.parser import _split_letters

ROOT = Path(__file__).resolve().parents[1]

# Every Greek letter by its English name; the letter comes from Unicode's own name for it, not
# from the engine's table. pi is the number π, so it is not a variable.
LOWER = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
]
# Capitals that are letters of their own, not Latin look-alikes (Alpha is A).
CAPITALS = [
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
]
LOOKALIKES = {
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


def letter(name: str) -> str:
    case = "CAPITAL" if name[0].isupper() else "SMALL"
    unicode_name = {"lambda": "lamda"}.get(name.lower(), name.lower()).upper()
    return unicodedata.lookup(f"GREEK {case} LETTER {unicode_name}")


def variable_symbols(graph: engine.Graph) -> list[str]:
    return [n.symbol for n in graph.nodes if n.kind == "variable"]


# -- Greek letters -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", LOWER + CAPITALS)
def test_every_greek_name_is_one_variable_shown_as_its_letter(name: str) -> None:
    for text in [name, f"2{name}", f"{name}^2", f"sin({name})", f"{name} x", f"{name}*x"]:
        g = engine.parse(text)
        assert name in g.variables and len(g.variables) == len(re.findall(r"\bx\b", text)) + 1, (
            text,
            g.variables,
        )
        assert letter(name) in variable_symbols(g), text
        assert letter(name) in engine.read_as(g)
    # Typed as the letter, it is the same variable.
    assert engine.parse(letter(name)).variables == (name,)
    assert engine.parse(f"{name} + {letter(name)}").variables == (name,)


@pytest.mark.parametrize("name", LOWER + CAPITALS)
def test_greek_names_take_digits_and_underscores(name: str) -> None:
    g = engine.parse(f"{name}1 + {name}_2 + {letter(name)}_3")
    assert g.variables == (f"{name}1", f"{name}_2", f"{name}_3")
    assert variable_symbols(g) == [f"{letter(name)}1", f"{letter(name)}_2", f"{letter(name)}_3"]


def test_a_variable_name_is_shown_with_its_greek_letter() -> None:
    # For labels of a function's variables outside the diagram (inputs, gradients).
    from engine.ops import variable_symbol

    cases = {
        "theta_1": "θ_1",
        "xi": "ξ",
        "Omega": "Ω",
        "x2": "x2",
        "w_10": "w_10",
        "b": "b",
        "Pi3": "Π3",
        "eta": "η",
        "epsilon": "ε",
    }
    for name, shown in cases.items():
        assert variable_symbol(name) == shown
        assert [n.symbol for n in engine.parse(name).nodes] == [shown]


def test_the_examples_read_as_a_mathematician_reads_them() -> None:
    # Before, epsilon*x was e·p·s·i·l·o·n·x with e = 2.718…, sin(phi) was sin(p·h·i), tau^2 was
    # t·a·u².
    assert engine.parse("epsilon*x").evaluate(epsilon=2.0, x=3.0) == 6.0
    assert engine.parse("sin(phi)").evaluate(phi=0.5) == math.sin(0.5)
    g = engine.parse("tau^2")
    assert g.variables == ("tau",) and g.gradient(tau=3.0) == {"tau": 6.0}


@pytest.mark.parametrize(
    "text, variables",
    [
        # Names inside names are never cut out: eta in theta, beta, zeta; psi in epsilon, upsilon;
        # pi in epsilon; nu and mu; xi is ξ, not x·i.
        ("theta", ("theta",)),
        ("beta", ("beta",)),
        ("zeta", ("zeta",)),
        ("eta", ("eta",)),
        ("epsilon", ("epsilon",)),
        ("upsilon", ("upsilon",)),
        ("psi", ("psi",)),
        ("phi", ("phi",)),
        ("xi", ("xi",)),
        ("x i", ("x", "i")),
        ("x*i", ("x", "i")),
        ("nu mu", ("nu", "mu")),
        ("chi", ("chi",)),
        ("rho", ("rho",)),
        ("omicron", ("omicron",)),
        ("iota", ("iota",)),
        # Glued together, each name stays whole, as xy is x·y.
        ("alphabeta", ("alpha", "beta")),
        ("thetaxi", ("theta", "xi")),
        ("xtheta", ("x", "theta")),
        ("mupsilon", ("m", "upsilon")),
        ("phix", ("phi", "x")),
        ("betaeta", ("beta", "eta")),
        ("epsilonx", ("epsilon", "x")),
        ("2pi xi", ("xi",)),
        ("pixi", ("xi",)),
        # Capitals of their own are other variables than the small letters.
        ("Gamma gamma", ("Gamma", "gamma")),
        ("Theta + theta", ("Theta", "theta")),
        ("Pi + pi", ("Pi",)),
        ("Π", ("Pi",)),
        # Variant forms of letters: the micro sign, lunate epsilon, script theta and phi, final
        # sigma.
        ("µ", ("mu",)),
        ("ϵ", ("epsilon",)),
        ("ϑ", ("theta",)),
        ("ϕ", ("phi",)),
        ("ς", ("sigma",)),
        # Names with digits as before.
        ("theta1 w_2", ("theta1", "w_2")),
        ("xi1 x1", ("xi1", "x1")),
        # Greek before a parenthesis multiplies, as x(y + 1) does.
        ("theta(x + 1)", ("theta", "x")),
        ("alphabeta(x)", ("alpha", "beta", "x")),
    ],
)
def test_greek_names_are_never_cut(text: str, variables: tuple[str, ...]) -> None:
    assert engine.parse(text).variables == variables


def segmentations(run: str) -> list[list[str]]:
    """Every way to cut a run into pieces, by brute force (2^(n-1) of them)."""
    cuts = []
    for mask in range(2 ** (len(run) - 1)):
        pieces, start = [], 0
        for k in range(1, len(run)):
            if mask >> (k - 1) & 1:
                pieces.append(run[start:k])
                start = k
        cuts.append(pieces + [run[start:]])
    return cuts


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet="aehilmnopstuxz", min_size=1, max_size=11))
@example("etau")
@example("mupsilon")
@example("thetaxi")
def test_a_run_of_letters_is_cut_into_the_fewest_single_letters(run: str) -> None:
    # Oracle: of all cuts into known names and single letters, the least (single letters,
    # pieces), found by trying every cut.
    known = {*engine.FUNCTIONS, "pi", "e", *LOWER}
    allowed = [c for c in segmentations(run) if all(p in known or len(p) == 1 for p in c)]

    def cost(cut: list[str]) -> tuple[int, int]:
        return sum(p not in known for p in cut), len(cut)

    cut = _split_letters(run)
    assert "".join(cut) == run and cut in allowed
    assert cost(cut) == min(map(cost, allowed))


def test_pi_is_the_number_and_capital_pi_a_variable() -> None:
    assert engine.parse("2pi").evaluate() == 2 * math.pi
    g = engine.parse("Pi r")
    assert g.evaluate(Pi=2.0, r=3.0) == 6.0
    assert "Π" in variable_symbols(g)
    # Spelled out, it says so, for whoever meant the number.
    assert any("Π" in note and "write pi" in note for note in g.reading_notes)


@pytest.mark.parametrize("name", sorted(LOOKALIKES))
def test_capitals_written_like_latin_letters_ask_for_the_latin_letter(name: str) -> None:
    with pytest.raises(engine.ParseError) as caught:
        engine.parse(f"2 + {name}")
    assert caught.value.position == 4
    message = str(caught.value)
    assert f"write {LOOKALIKES[name]}," in message and f"{name.lower()} for " in message
    assert engine.parse(LOOKALIKES[name]).variables == (LOOKALIKES[name],)


# -- sigma and sigmoid ---------------------------------------------------------------------------


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


@pytest.mark.parametrize("text", ["σ(x)", "sigma(x)", "σ (x)", "2σ(x)", "xσ(x) / x"])
def test_sigma_before_a_parenthesis_is_sigmoid(text: str) -> None:
    g = engine.parse(text)
    assert g.variables == ("x",)
    factor = 2 if text.startswith("2") else 1
    assert math.isclose(g.evaluate(x=0.7), factor * sigmoid(0.7), rel_tol=1e-12)
    assert any("sigmoid" in note for note in g.reading_notes)


@pytest.mark.parametrize(
    "text, value",
    [
        ("σ x", 6.0),
        ("σ*(x)", 6.0),
        ("σ·(x)", 6.0),
        ("σ^2", 4.0),
        ("sigma x", 6.0),
        ("σx", 6.0),
        ("σ_1(x)", 6.0),
    ],
)
def test_sigma_elsewhere_is_a_variable(text: str, value: float) -> None:
    g = engine.parse(text)
    point = {v: 2.0 if v.startswith("sigma") else 3.0 for v in g.variables}
    assert g.evaluate(point) == value
    assert any(n.symbol.startswith("σ") for n in g.nodes if n.kind == "variable")


def test_no_variable_is_drawn_like_an_operation() -> None:
    # σ(σ·x) has both the variable σ and the sigmoid box: they must look different.
    g = engine.parse("σ(σ x) + sigma")
    operations = {n.symbol for n in g.nodes if n.kind == "operation"}
    leaves = {n.symbol for n in g.nodes if n.kind != "operation"}
    assert "σ" in leaves and not operations & leaves
    # No operation's box anywhere looks like a variable or a constant a student can type.
    names = [*LOWER, *CAPITALS, *"abcdxyzw", "x1", "theta_2"]
    typed = {n.symbol for name in names for n in engine.parse(name).nodes} | {"π", "e"}
    assert not {op.symbol for op in engine.OPS.values()} & typed


# -- readings people disagree on ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, note, point, value",
    [
        ("1/2x", "1/2x is read as (1/2)·x", {"x": 4.0}, 2.0),
        ("x/yz", "x/yz is read as (x/y)·z", {"x": 8.0, "y": 2.0, "z": 4.0}, 16.0),
        ("6/2(1+2)", "6/2(1+2) is read as (6/2)·(1 + 2)", {}, 9.0),
        ("2^3^2", "2^3^2 is read as 2^(3^2)", {}, 512.0),
        ("-x^2", "-x^2 is read as −(x^2)", {"x": 3.0}, -9.0),
        ("e^2x", "e^2x is read as (e^2)·x", {"x": 2.0}, 2 * math.e**2),
        ("3 + 1/2 x", "1/2 x is read as (1/2)·x", {"x": 4.0}, 5.0),
    ],
)
def test_readings_people_disagree_on_get_a_note(
    text: str, note: str, point: dict[str, float], value: float
) -> None:
    g = engine.parse(text)
    assert g.reading_notes == (note,)
    assert math.isclose(g.evaluate(point), value, rel_tol=1e-12)


@pytest.mark.parametrize(
    "text",
    [
        "x + y",
        "2x",
        "xyz",
        "x^2 y",
        "(1/2)x",
        "x/(yz)",
        "x/y*z",
        "-x*y",
        "(-x)^2",
        "2^(3^2)",
        "(2^3)^2",
        "log(xy)+exp(xy)",
        "sigmoid(w x + b)",
        "x^2 + 3y^2",
        "e^(2x)",
        "pi r^2",
    ],
)
def test_readings_everyone_agrees_on_get_no_note(text: str) -> None:
    assert engine.parse(text).reading_notes == ()


def test_notes_come_once_each_in_the_order_of_the_text_and_are_few() -> None:
    g = engine.parse("2^3^2 + 1/2x + 1/2x - y^2")
    assert g.reading_notes == ("2^3^2 is read as 2^(3^2)", "1/2x is read as (1/2)·x")
    # The convention behind σ(…) is explained once, however often σ( is typed.
    sigmoids = engine.parse("σ(x)σ(y) + σ(x y)").reading_notes
    assert len(sigmoids) == 1 and sigmoids[0].startswith("σ(x) is read as sigmoid(x)")
    many = engine.parse(" + ".join(f"1/{k}x" for k in range(2, 40)))
    assert 1 <= len(many.reading_notes) <= engine.parser.MAX_NOTES
    assert engine.parse("1/2x", merge=False).reading_notes == ("1/2x is read as (1/2)·x",)


@pytest.mark.parametrize(
    "text, reading",
    [
        ("1/2x", "(1/2)·x"),
        ("x/yz", "(x/y)·z"),
        ("2x^2 + 3", "(2·(x^2)) + 3"),
        ("-x^2", "−(x^2)"),
        ("2^3^2", "2^(3^2)"),
        ("log(xy) + exp(xy)", "log(x·y) + exp(x·y)"),
        ("sin(phi) + xi", "sin(φ) + ξ"),
        ("σ(w x + b)", "sigmoid((w·x) + b)"),
        ("ln(x)", "log(x)"),
        ("x − −y", "x − (−y)"),
        ("2πx", "(2·π)·x"),
        ("θ_1 x_2 + .5", "(θ_1·x_2) + .5"),
        ("x**2 ÷ y", "(x^2)/y"),
        ("x²", "x^2"),
        ("e", "e"),
        ("7", "7"),
    ],
)
def test_read_as_writes_every_operator_with_its_operands_in_parentheses(
    text: str, reading: str
) -> None:
    assert engine.read_as(engine.parse(text)) == reading


@pytest.mark.parametrize(
    "text",
    [
        "log(xy) + exp(xy)",
        "2x^2 + 3.50x - 1e-3",
        "-x^2",
        "sigmoid(w x + b)",
        "(a+b)(b+1)",
        "2^3^2",
        "π x + e^-x",
        "θ_1 x_2 + .5",
        "x/(y z)",
        "ln(x)",
        "y^-1",
        "σ(σ x) + Pi",
        "epsilon xi / upsilon",
        "1/2x",
        "- - x",
        "Σ^Ω",
    ],
)
def test_the_reading_parses_back_to_the_same_graph(text: str) -> None:
    g = engine.parse(text)
    again = engine.parse(engine.read_as(g))
    assert again == g and again.variables == g.variables
    assert again.reading_notes == ()  # fully parenthesised: nothing left to disagree on


def test_read_as_is_iterative() -> None:
    deep = engine.parse("-" * 5000 + "x", max_length=10**4, max_nodes=10**4)
    assert engine.read_as(deep) == "−(" * 4999 + "−x" + ")" * 4999


# -- numbers the parser cannot hold -------------------------------------------------------------


@pytest.mark.parametrize(
    "text, position",
    [
        ("1e-400", 0),
        ("2x + 1e-400", 5),
        ("0." + "0" * 400 + "1", 0),
        ("5e-325", 0),
        ("2.5E-999", 0),
    ],
)
def test_a_number_that_would_be_stored_as_zero_is_refused(text: str, position: int) -> None:
    with pytest.raises(engine.ParseError) as caught:
        engine.parse(text, max_length=1000)
    assert caught.value.position == position
    assert re.search(r"too small.*stored as 0.*write 0", str(caught.value)), str(caught.value)


@pytest.mark.parametrize(
    "text, value",
    [
        ("0e-400", 0.0),
        ("0.0", 0.0),
        ("0", 0.0),
        ("00e-999", 0.0),
        ("1e-300", 1e-300),
        ("5e-324", 5e-324),
        ("1e308", 1e308),
    ],
)
def test_numbers_a_float_holds_are_read(text: str, value: float) -> None:
    assert engine.parse(text).evaluate() == value


# -- operators come from the op table -----------------------------------------------------------

OPERATORS = {name: op for name, op in engine.OPS.items() if op.spellings and op.arity == 2}


@pytest.mark.parametrize("first, second", list(itertools.product(OPERATORS, repeat=2)))
def test_precedence_and_associativity_are_the_op_tables(first: str, second: str) -> None:
    p, q = OPERATORS[first], OPERATORS[second]
    for s, t in itertools.product(p.spellings, q.spellings):
        g = engine.parse(f"a {s} b {t} c")
        top = g.nodes[g.output]
        # The table says which operator is applied last.
        left_first = p.precedence > q.precedence or (
            p.precedence == q.precedence and not q.right_associative
        )
        assert top.label == (second if left_first else first), (s, t)


def test_the_table_agrees_with_school_arithmetic() -> None:
    for text, value in [
        ("1 + 2*3", 7.0),
        ("2^3^2", 512.0),
        ("8/4/2", 1.0),
        ("-2^2", -4.0),
        ("10 - 4 - 3", 3.0),
        ("2 × 3 · 4 ⋅ 5", 120.0),
        ("9 − 2 – 1", 6.0),
        ("2**3", 8.0),
        ("−2", -2.0),
        ("8 ÷ 2", 4.0),
        ("+2", 2.0),
    ]:
        assert engine.parse(text).evaluate() == value, text


def test_to_text_writes_each_operator_as_its_first_spelling() -> None:
    g = engine.parse("a × b ÷ c − d ** g2 + −f")
    assert g.to_text() == "((((a * b) / c) - (d ^ g2)) + (-f))"
    assert engine.parse(g.to_text()) == g


# -- the command line ----------------------------------------------------------------------------


def test_cli_prints_the_notes_and_on_request_the_reading(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_main(["1/2x + tau", "x=4", "tau=1"]) == 0
    out = capsys.readouterr().out
    assert "note: 1/2x is read as (1/2)·x" in out.splitlines()
    assert "read as" not in out.replace("is read as", "")
    assert cli_main(["1/2x + tau", "x=4", "tau=1", "--read-as"]) == 0
    assert "read as: ((1/2)·x) + τ" in capsys.readouterr().out.splitlines()


def test_cli_json_carries_the_reading() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "engine", "x/yz", "x=8", "y=2", "z=4", "--json"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["value"] == 16.0
    assert data["read_as"] == "(x/y)·z"
    assert data["reading_notes"] == ["x/yz is read as (x/y)·z"]
