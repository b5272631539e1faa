"""python -m engine "log(xy)+exp(xy)" x=1 y=2 [--json | --trace] [--read-as] [--tree]
[--local numerical --eps 1e-4]"""

from __future__ import annotations

import argparse
import json
import math
import sys

from . import ParseError, Trace, VariablesWording, parse, read_as
from .explain import explain
from .format import json_number, number_text


def assignment(text: str) -> tuple[str, float]:
    """An argparse type for `x=1`: a variable's name and value, shared by the drawing CLI."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected name=value, e.g. x=1, not {text!r}")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"the value of {name.strip()} must be a number, not {value!r}"
        ) from None


def add_choice(
    parser: argparse.ArgumentParser, flag: str, choices: tuple[str, ...], help: str
) -> None:
    """An option that takes one of a few words, the first by default (which the help says)."""
    parser.add_argument(
        flag, choices=choices, default=choices[0], help=f"{help} (default: {choices[0]})"
    )


def add_trace_options(parser: argparse.ArgumentParser, tree: str) -> None:
    """The options of both command lines that choose the trace: `tree` is the caller's help."""
    parser.add_argument("--tree", action="store_true", help=tree)
    add_choice(
        parser, "--local", ("symbolic", "numerical"), "how each box's local derivative is taken"
    )
    parser.add_argument(
        "--eps",
        type=float,
        default=1e-4,
        help="eps of the numerical local derivatives (default: 1e-4)",
    )


def trace_of(args: argparse.Namespace, wording: VariablesWording | None = None) -> Trace:
    """The trace the arguments ask for. Raises ParseError for the function, ValueError for the
    values: a name given twice, or not exactly the function's variables (in `wording`, the
    engine's own by default)."""
    graph = parse(args.function, merge=not args.tree)
    values: dict[str, float] = {}
    for name, value in args.values:
        if name in values:
            raise ValueError(f"{name} is given twice")
        values[name] = value
    problem = graph.variables_problem(values, wording or VariablesWording())
    if problem:
        raise ValueError(problem)
    return graph.trace(values, local=args.local, eps=args.eps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m engine", description="Evaluate and differentiate a function."
    )
    parser.add_argument("function", help='e.g. "log(xy)+exp(xy)"')
    parser.add_argument("values", nargs="*", type=assignment, help="e.g. x=1 y=2")
    parser.add_argument("--json", action="store_true", help="print value and gradient as JSON")
    parser.add_argument("--trace", action="store_true", help="print every step in words")
    add_trace_options(parser, tree="the expression tree: a variable used twice is two leaves")
    parser.add_argument(
        "--read-as", action="store_true", help="print the function as read, with full parentheses"
    )
    args = parser.parse_args(argv)
    try:
        trace = trace_of(args)
    except ParseError as err:
        print(f"error: {err}\n{err.pointer()}", file=sys.stderr)
        return 2
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    graph = trace.graph
    if args.json:
        print(
            json.dumps(
                {
                    "function": args.function,
                    "inputs": {k: json_number(v) for k, v in trace.inputs.items()},
                    "value": json_number(trace.value),
                    "gradient": {k: json_number(v) for k, v in trace.gradient.items()},
                    "warnings": [message for _, message in trace.warnings],
                    "notes": [
                        {"node": graph.numbers[n.node], "kind": n.kind, "text": n.text}
                        for n in trace.notes
                    ],
                    "read_as": read_as(graph),
                    "reading_notes": list(graph.reading_notes),
                },
                indent=2,
                ensure_ascii=False,
                allow_nan=False,
            )
        )
        return 0
    if args.read_as:
        print(f"read as: {read_as(graph)}")
    for reading in graph.reading_notes:
        print(f"note: {reading}")
    if args.trace:
        for k in range(len(trace) + 1):
            print(f"[{k}/{len(trace)}] {explain(trace, k).as_text()}")
        print()
    # Numbers as the explanations write them (−5.467, 1e−8); --json keeps full floats.
    print(f"value: {number_text(trace.value)}")
    for name, g in trace.gradient.items():
        # nan or inf is never stated as a gradient without a word on what happened.
        said = "" if math.isfinite(g) else " (not a gradient: see the warning below)"
        print(f"d/d{name}: {number_text(g)}{said}")
    for _, message in trace.warnings:
        print(f"warning: {message}")
    for note in trace.notes:
        if not note.warning:
            print(f"note: {note.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
