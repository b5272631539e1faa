"""No code path turns typed or linked text into code: the app's source never calls eval, exec,
compile, __import__ or sympify.

A function typed by a student and every query parameter are untrusted text. The engine reads
text character by character; this test keeps it that way by reading the syntax tree of every
source file of the app (not its text, so comments and strings that mention eval do not count,
and `x.eval(...)` or `builtins.exec(...)` do).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = frozenset({"eval", "exec", "compile", "__import__", "sympify"})
SCANNED = ["app.py", "pages", "ui", "drawing", "engine"]
# `re.compile` builds a regular expression, not code: the one attribute call allowed.
REGEX_MODULES = frozenset({"re", "regex"})


def source_files() -> list[Path]:
    files: list[Path] = []
    for entry in SCANNED:
        path = ROOT / entry
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return [f for f in files if "tests" not in f.relative_to(ROOT).parts]


def forbidden_calls(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """(line, name) of each call of a forbidden name, as `eval(...)` or `anything.eval(...)`.

    Also flags a forbidden name taken as a value (`run = eval`, `getattr(x, "eval")`), since
    calling it later under another name is the same call.
    """
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call):
            function = node.func
            name = (
                function.id
                if isinstance(function, ast.Name)
                else function.attr
                if isinstance(function, ast.Attribute)
                else None
            )
            if name in FORBIDDEN and not _is_regex_compile(function):
                found.append((node.lineno, name))
            if (
                name == "getattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in FORBIDDEN
            ):
                found.append((node.lineno, node.args[1].value))
        elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name in FORBIDDEN and not _is_regex_compile(node):
                found.append((node.lineno, name))
        elif isinstance(node, ast.alias) and node.name.split(".")[-1] in FORBIDDEN:
            found.append((node.lineno, node.name))
    return sorted(set(found))


def _is_regex_compile(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "compile"
        and isinstance(node.value, ast.Name)
        and node.value.id in REGEX_MODULES
    )


def test_the_scan_covers_the_app():
    files = {f.relative_to(ROOT).as_posix() for f in source_files()}
    # The files that handle untrusted text must be among those scanned.
    assert {"app.py", "engine/parser.py", "ui/url.py", "ui/work.py", "pages/playground.py"} <= files


@pytest.mark.parametrize(
    "snippet, name",
    [
        ("eval(text)", "eval"),
        ("exec(code)", "exec"),
        ("builtins.exec(code)", "exec"),
        ("compile(text, '<x>', 'eval')", "compile"),
        ("__import__('os')", "__import__"),
        ("sympy.sympify(text)", "sympify"),
        ("from sympy import sympify\nsympify(text)", "sympify"),
        ("run = eval\nrun(text)", "eval"),
        ("getattr(builtins, 'eval')(text)", "eval"),
        ("f = lambda t: (eval)(t)", "eval"),
        ("from builtins import exec as run", "exec"),
        ("pattern.compile(text)", "compile"),
    ],
)
def test_the_scanner_flags_each_forbidden_call(snippet, name):
    assert name in {found for _, found in forbidden_calls(snippet)}


@pytest.mark.parametrize(
    "snippet",
    [
        "# eval(text) in a comment",
        "message = 'never eval(text)'",
        "evaluate(text)",
        "graph.evaluate(x=1)",
        "re.compile_pattern = None",
        "STEP = re.compile(r'step-\\d+')",
    ],
)
def test_the_scanner_ignores_mentions_and_lookalikes(snippet):
    assert forbidden_calls(snippet) == []


def test_no_source_file_calls_a_forbidden_function():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in source_files()
        for line, name in forbidden_calls(path.read_text(encoding="utf-8"), str(path))
    ]
    assert offenders == []
