"""Slides from a terminal: one offline HTML file with every step, and/or one SVG per step.

    python -m drawing "log(xy)+exp(xy)" x=1 y=2 -o slides.html
    python -m drawing "sin(x^2)" x=3 --svg-dir steps --theme dark

Everything is computed before anything is written, and every file is first written under a
temporary name in its own directory, then renamed: a failed run leaves no partial file.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import engine
from engine.__main__ import add_choice, add_trace_options, assignment, trace_of

from .deck import deck_data, standalone_html
from .diagram import build_diagram

PROG = "python -m drawing"
STEP_FILE = re.compile(r"step-\d{3,}\.svg")


COMMAND_LINE = engine.VariablesWording(
    missing="no value for {missing}: give one per variable, e.g. {example}",
    extra="{extra} is not a variable of {function}; its variables are: {known}",
    example_item="{}=1",
    example_separator=" ",
)


class Failure(Exception):
    """A problem with the arguments or the output paths: told on stderr, exit status 2."""


@dataclass(frozen=True)
class Output:
    path: Path
    text: str


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Slides of backpropagation on a function: every forward, "
        "ordering and backward step,\nas one offline HTML file and/or one SVG per step.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        '  python -m drawing "log(xy)+exp(xy)" x=1 y=2 -o slides.html\n'
        '  python -m drawing "sin(x^2)" x=3 --svg-dir steps --theme dark\n'
        '  python -m drawing -o slides.html -- "-x^2" x=1   '
        "(-- before a function that starts with -)",
    )
    parser.add_argument("function", help='e.g. "log(xy)+exp(xy)"')
    parser.add_argument(
        "values",
        nargs="*",
        type=assignment,
        metavar="NAME=VALUE",
        help="one per variable, e.g. x=1 y=2",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE.html",
        help="write the slides: one HTML file with the player, opens offline",
    )
    parser.add_argument(
        "--svg-dir",
        type=Path,
        metavar="DIR",
        help="write one SVG per step, DIR/step-000.svg … (DIR is created)",
    )
    add_choice(parser, "--theme", ("light", "dark"), "colours of the slides and SVGs")
    parser.add_argument(
        "--present",
        action="store_true",
        help="open the HTML slides in presenter mode: large type, thick lines",
    )
    add_trace_options(parser, tree="draw the expression tree: a repeated subexpression at each use")
    return parser


def _trace(args: argparse.Namespace) -> engine.Trace:
    try:
        return trace_of(args, COMMAND_LINE)  # the engine's checks, worded as a command line
    except engine.ParseError as err:
        pointer = "\n".join("  " + line for line in err.pointer().splitlines())
        raise Failure(f"cannot read the function: {err}\n{pointer}") from None
    except ValueError as err:
        raise Failure(str(err)) from None


def _check_targets(html: Path | None, svg_dir: Path | None) -> None:
    """Refuse outputs that cannot be written before the slow part, not after it."""
    if html is not None:
        if html.is_dir():
            raise Failure(f"{html} is a directory: give a file name, e.g. {html / 'slides.html'}")
        if not html.parent.is_dir():
            raise Failure(f"cannot write {html}: the directory {html.parent} does not exist")
    if svg_dir is not None:
        existing = next(p for p in (svg_dir, *svg_dir.parents) if p.exists())
        if not existing.is_dir():
            raise Failure(f"cannot write SVGs into {svg_dir}: {existing} is not a directory")
        if svg_dir.is_dir():
            for path in svg_dir.iterdir():
                if STEP_FILE.fullmatch(path.name) and not path.is_file():
                    raise Failure(f"cannot replace {path}: it is not a file")


def _write_all(outputs: list[Output], svg_dir: Path | None) -> None:
    """Write each file under a temporary name next to it, then rename them all."""
    missing = [p for p in (svg_dir, *svg_dir.parents) if not p.exists()] if svg_dir else []
    created = missing[-1] if missing else None  # the outermost directory this run makes
    temporary: list[tuple[str, Path]] = []
    mode = 0o666 & ~_umask()  # mkstemp makes owner-only files; slides are for sharing
    try:
        if svg_dir is not None:
            svg_dir.mkdir(parents=True, exist_ok=True)
        for output in outputs:
            fd, name = tempfile.mkstemp(
                dir=output.path.parent, prefix=f".{output.path.name}.", suffix=".tmp"
            )
            temporary.append((name, output.path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as file:
                file.write(output.text)
            os.chmod(name, mode)
        for name, path in temporary:
            os.replace(name, path)
    except OSError as err:
        for name, _ in temporary:
            Path(name).unlink(missing_ok=True)
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise Failure(f"cannot write {err.filename or 'the output'}: {err.strerror}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def main(argv: list[str] | None = None) -> int:
    parser = arguments()
    args = parser.parse_args(argv)
    if args.output is None and args.svg_dir is None:
        parser.error(
            "say what to write: -o FILE.html for the slides, --svg-dir DIR for SVGs, or both"
        )
    try:
        _check_targets(args.output, args.svg_dir)
        trace = _trace(args)
        diagram = build_diagram(trace)
        outputs: list[Output] = []
        if args.output is not None:
            deck = deck_data(trace, title=args.function, diagram=diagram)
            outputs.append(
                Output(args.output, standalone_html(deck, theme=args.theme, present=args.present))
            )
        svgs: list[Output] = []
        if args.svg_dir is not None:
            width = max(3, len(str(len(diagram) - 1)))
            svgs = [
                Output(
                    args.svg_dir / f"step-{k:0{width}d}.svg", diagram.svg_at(k, theme=args.theme)
                )
                for k in range(len(diagram))
            ]
        _write_all(outputs + svgs, args.svg_dir)
    except Failure as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2

    steps = f"{len(diagram)} steps (0 to {len(diagram) - 1})"
    if args.output is not None:
        size = args.output.stat().st_size
        print(f"wrote {args.output}: {steps}, {size / 1024:.0f} kB, opens offline in a browser")
    if svgs:
        kept = {output.path.name for output in svgs}
        stale = [
            p for p in args.svg_dir.iterdir() if STEP_FILE.fullmatch(p.name) and p.name not in kept
        ]
        for path in stale:  # from an earlier, longer export: they would read as later steps
            path.unlink()
        print(
            f"wrote {len(svgs)} SVGs to {args.svg_dir}: {svgs[0].path.name} … "
            f"{svgs[-1].path.name}, {steps}"
            + (f"; removed {len(stale)} older step files" if stale else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
