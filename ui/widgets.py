"""The widgets every page shares, so a page is its lesson and nothing else.

- `plain`: the one way to put untrusted text (typed, or from a link) into anything Streamlit
  renders as Markdown: warnings, errors, captions, titles, labels. It shows as typed, never as a
  link, an image, HTML, emphasis, math, a colour or an icon.
- `linked`: a widget whose first value comes from the link, then from the student.
- `function_input`, `examples_box`, `variable_inputs`, `parse_error`: the inputs of a function
  and what is shown when it does not parse; `input_row`: a row of inputs that wraps.
- `stepper`: a lesson's step player, which keeps its step while the picture keeps its shape.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

import streamlit as st

import engine
from drawing import standalone_html
from engine.check import gradient_check as check_gradient
from engine.format import step_text

from .page import (
    clean_view,
    example_chooser,
    past_the_end,
    presenter_switch,
    presenting,
    share_under,
    theme,
    write_link,
)
from .player import StepParam, player
from .url import link
from .work import figure_of_function, parse, slide_file

# Characters that start Markdown, HTML, math ($), Streamlit's :colour[...] and :icon: syntax.
_ACTIVE = re.compile(r"([\\`*_\[\]<>|$~:&{}])")
# At the start of a line: headings, quotes, lists, setext underlines.
_LINE_START = re.compile(r"^([ \t]*\d*)([#>+\-=.)])", re.MULTILINE)
# Some syntax works on the text after its escapes are undone: bare addresses become links
# (https://…, www.…, a@b.c) and :material/icon: an icon. An invisible word joiner after every
# colon, after "www" and after "@" breaks them all.
_AUTOLINK = re.compile(r"(\\:|(?i:www)(?=\.)|@)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """Text as Markdown that renders as exactly that text: `x*y*z` stays x*y*z."""
    escaped = _ACTIVE.sub(r"\\\1", str(text))
    escaped = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
    return _AUTOLINK.sub(lambda m: m.group(1) + WORD_JOINER, escaped)


def linked(
    page: str,
    state: dict,
    field: str,
    widget: Callable[..., Any],
    *args: Any,
    key: str | None = None,
    **kwargs: Any,
) -> Any:
    """Show `widget` (e.g. `st.number_input` or a column's) with the link's value first, then
    the student's, and keep what it shows in `state[field]`.

    The widget's key holds its value; the state outlives the widget when the student visits
    another page.
    """
    key = key or f"{page}:{field}"
    st.session_state.setdefault(key, state[field])
    value = widget(*args, key=key, **kwargs)
    if value is not None:  # a segmented control with nothing selected keeps the last value
        state[field] = value
    return state[field]


def function_input(
    page: str,
    state: dict,
    container: Any = st,
    *,
    label: str = "Function",
    help: str | None = None,
    on_change: Callable[[], None] | None = None,
) -> str:
    """The Function box."""
    return linked(
        page,
        state,
        "expr",
        container.text_input,
        label,
        max_chars=engine.MAX_LENGTH,
        help=help,
        on_change=on_change,
    )


def examples_box(
    page: str,
    state: dict,
    examples: dict[str, dict[str, float]],
    container: Any = st,
    then: Callable[[], None] | None = None,
) -> None:
    """The Examples box: a function and its values, into the inputs."""
    container.selectbox(
        "Examples",
        list(examples),
        index=None,
        placeholder="Pick an example",
        key=f"{page}:example",
        on_change=example_chooser(page, state, examples, then),
    )


def function_and_examples(
    page: str,
    state: dict,
    examples: dict[str, dict[str, float]],
    columns: Sequence[Any],
    *,
    label: str = "Function",
    help: str | None = None,
    on_change: Callable[[], None] | None = None,
    on_example: Callable[[], None] | None = None,
) -> None:
    """The Function box in the first column, the Examples box in the second; `on_change` runs
    when either changes the function (`on_example`, where given, when an example does)."""
    function_input(page, state, columns[0], label=label, help=help, on_change=on_change)
    examples_box(page, state, examples, columns[1], then=on_example or on_change)


def input_row(key: str, container: Any = st) -> Any:
    """A row of inputs that wraps onto more rows when they do not fit: each input keeps a
    readable width (its label on one line, its − and + buttons shown), see INPUT_ROW in app.py.
    `key` names the row; it must be unique on the page."""
    return container.container(
        horizontal=True, key=f"{INPUT_ROW}{key}", vertical_alignment="bottom", gap="small"
    )


# The key prefix that gives a row of inputs its wrapping look (app.py styles it).
INPUT_ROW = "input-row-"


def nudge(value: float) -> float:
    """The step of a number field's − and + buttons at `value`: 0.1 for the values a lesson
    uses (|value| < 10), a tenth of the value's power of ten above (1 from 10, 10 from 100),
    and the value's own power of ten below 0.1 (0.001 from 0.003), so that a step is a nudge
    at any size. Typed values are kept as typed, whatever the step."""
    size = abs(value)
    if not math.isfinite(size) or size == 0 or 0.1 <= size < 10:
        return 0.1
    power = math.floor(math.log10(size))
    return float(10.0 ** (power - 1 if size >= 10 else max(power, -12)))


def variable_inputs(
    page: str,
    state: dict,
    names: Sequence[str],
    row: Any = None,
    limit: float = 1e12,
    on_change: Callable[[], None] | None = None,
) -> dict[str, float]:
    """One number field per variable, in `row` (by default a new wrapping row of inputs, see
    `input_row`); returns {name: value}. Each field takes any number typed (0.3333, 1e-3) and
    steps by `nudge` of its value."""
    row = row if row is not None else input_row(f"{page}-values")
    for name in names:
        key = f"{page}:value:{name}"
        st.session_state.setdefault(key, state["values"].get(name, 1.0))
        state["values"][name] = row.number_input(
            plain(name),
            key=key,
            step=nudge(st.session_state[key]),
            format="%g",
            min_value=-limit,
            max_value=limit,
            on_change=on_change,
        )
    return {name: state["values"].get(name, 1.0) for name in names}


def read_function(
    text: str, need: Callable[[engine.Graph], str | None] | None = None
) -> tuple[engine.Graph | None, engine.ParseError | str | None]:
    """The function's graph, read as shown under the Function box, and why the page cannot use
    it: it does not parse (no graph), or `need` says what it lacks. The page shows the error
    (parse_error) where it belongs."""
    try:
        graph = parse(text)
    except engine.ParseError as err:
        return None, err
    reading(graph)
    return graph, need(graph) if need is not None else None


def usable_function(
    page: str,
    state: dict,
    need: Callable[[engine.Graph], str | None] | None = None,
    heading: str = "Cannot read this function",
) -> engine.Graph:
    """The graph of `state["expr"]` (see read_function); a function the page cannot use is said
    why, with the link to it, and the page stops there."""
    graph, error = read_function(state["expr"], need)
    if graph is not None and error is None:
        return graph
    parse_error(error or "", heading)
    write_link(page, {"expr": state["expr"]})
    st.stop()


def parse_error(error: engine.ParseError | str, heading: str = "Cannot read this function") -> None:
    """Why a function cannot be used, with a caret under the problem where there is one."""
    if clean_view():
        st.error(f"{plain(error)} — open the page without embed or present to fix the function.")
        return
    st.error(f"**{heading}:** {plain(error)}", icon=":material/error:")
    if isinstance(error, engine.ParseError):
        st.code(error.pointer(), language=None)


# The clean views of a lesson (?embed=true, ?present=true): only its main player, with its
# controls and explanation; everything else on the page is hidden.
_CLEAN = """<style>
[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] >
  :not(:has(.st-key-lesson-player)) { display: none; }
</style>"""


def stepper(
    page: str,
    state: dict,
    deck: dict,
    *,
    key: str = "player",
    field: str = "step",
    height: int = 520,
    same: str | None = None,
    start: int = 0,
    limit: int | None = None,
    main: bool = True,
    url: StepParam | None | Literal["field"] = "field",
) -> int:
    """A lesson's step player at `state[field]`, which it keeps up to date.

    The step stays where it is while the picture keeps its shape (`same`: by default the
    diagram's layout, so another value, mode or eps keeps the step); another picture starts
    at `start`. A step past the end shows the last one, and says so the first time.
    `limit`: the last step the student may reach. `url`: the query parameter the player keeps
    its step in (by default the one named `field`; None: not in the URL). The `main` player of
    a page is the one its embed and present views show, and has the link, the code to embed it
    and the slides under it (filled in when the page writes its link, see ui.page.write_link).
    """
    same = same if same is not None else deck["shape"]
    seen = f"{page}:{key}:shape"
    if st.session_state.get(seen, same) != same:
        state[field] = start
    st.session_state[seen] = same
    last = len(deck["frames"]) - 1
    state[field] = past_the_end(page, field, state[field], last)
    if limit is not None:
        state[field] = min(state[field], limit)
    clean = clean_view()
    with st.container(key="lesson-player" if main else None):
        state[field] = player(
            deck,
            key=f"{page}:{key}",
            step=state[field],
            height=(640 if presenting() else 480) if clean and main else height,
            theme=theme(),
            present=presenting() and main,
            embed=clean and main,
            digest=deck["digest"],
            limit=limit,
            param=StepParam(field) if url == "field" else url,
        )
        if main and presenting():
            presenter_switch()
    if main and clean:
        st.html(_CLEAN)
    elif main:
        share_under(page, deck, field)
    return state[field]


def lazy_expander(label: str, *, key: str, icon: str | None = None) -> Any:
    """A collapsed expander that knows whether it is open: opening or closing it reruns the
    page (or the fragment it is in), and `.open` says which. What only an open expander shows
    is then built only when asked for, so the first screen neither computes it nor waits for
    the browser code its elements need (st.code's highlighter, Plotly: megabytes of it)."""
    return st.expander(label, icon=icon, key=key, on_change="rerun")


def share(deck: dict, params: dict[str, str], key: str = "share") -> None:
    """Under a lesson's player: its link, the code to embed it in a slide (written when the
    expander is opened), the presenter switch and the slide file (built when asked for)."""
    box = lazy_expander(
        "Link to this lesson, embed it in a slide, or download the slides",
        key=key,
        icon=":material/link:",
    )
    with box:
        if box.open:
            link_and_embed(params)
        left, right = st.columns(2, vertical_alignment="center")
        with left:
            presenter_switch()
        look = theme()
        right.download_button(
            "Download slides (HTML)",
            lambda: standalone_html(deck, theme=look),
            file_name="backprop-lab-slides.html",
            mime="text/html",
            icon=":material/slideshow:",
            help="One file with every step; opens offline in any browser.",
        )


def slides_button(kind: str, args: tuple) -> None:
    """ "Download slides (HTML)": the deck of `kind` built from `args` (see ui.work), as one
    offline file, built when clicked rather than on every run."""
    look = theme()
    st.download_button(
        "Download slides (HTML)",
        lambda: slide_file(kind, args, look),
        file_name="backprop-lab-slides.html",
        mime="text/html",
        icon=":material/slideshow:",
        help="One file with every step; opens offline in any browser.",
    )


def latex_number(value: float, digits: int = 6) -> str:
    """A number for rendered math: 1.5·10⁻⁸ as 1.5 \\cdot 10^{-8}, never 1e-08 (whose italic e
    reads as Euler's number)."""
    if not math.isfinite(value):
        return (
            r"\text{"
            + ("undefined" if math.isnan(value) else ("-" if value < 0 else "") + "infinite")
            + "}"
        )
    text = f"{value:.{digits}g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    if mantissa in ("1", "-1"):
        return mantissa[:-1] + power
    return f"{mantissa} \\cdot {power}"


# A reading longer than this (a few lines at 1280 px) is folded, so that a long function's
# diagram and step controls stay on the first screen.
READING_SHOWN = 240


def reading(graph: engine.Graph, container: Any = st) -> None:
    """Under the Function box: the function as read, with full parentheses, and a note for
    each part that people read differently (1/2x is read as (1/2)·x)."""
    read = engine.read_as(graph)
    notes = [f"Note: {plain(note)}" for note in graph.reading_notes]
    if len(read) <= READING_SHOWN:
        container.caption("  \n".join([f"Read as {plain(read)}", *notes]))
        return
    with container.expander(
        f"Read as: the whole function with its parentheses ({len(read):,} characters)"
    ):
        st.caption(plain(read))
    if notes:
        container.caption("  \n".join(notes))


def link_and_embed(params: dict[str, str]) -> None:
    """A page's link with `params`, and the code to embed it in a slide."""
    base = st.context.url or "http://localhost:8501/"
    st.caption("Copy link (the player's own Copy link button adds the step it shows):")
    st.code(link(base, params), language=None, wrap_lines=True)
    st.caption("Embed in a slide (fits 960×540):")
    st.code(
        f'<iframe src="{link(base, {**params, "embed": "true"})}" width="960" '
        'height="540" style="border:0"></iframe>',
        language=None,  # Streamlit's HTML colouring of tags is below AA contrast in both themes
        wrap_lines=True,
    )


def function_plot(
    page: str, text: str, merge: bool, variables: Sequence[str], values: dict[str, float]
) -> None:
    """f and f′ around the point along one variable, in an expander (built when opened)."""
    box = lazy_expander(
        "Plot f and f′ around the point", key=f"{page}:plot-open", icon=":material/show_chart:"
    )
    if not box.open:
        return
    with box:
        along = variables[0]
        if len(variables) > 1:
            along = st.radio(
                "Along",
                variables,
                horizontal=True,
                key=f"{page}:along",
                help="The other variables stay at their values above.",
            )
        try:
            st.plotly_chart(
                figure_of_function(text, merge, along, tuple(values.items())), key=f"{page}:plot"
            )
        except ValueError as err:  # the point itself is nan or inf
            st.info(f"No plot here: {plain(err)}")


def gradient_check(
    page: str, state: dict, graph: engine.Graph, values: dict[str, float], choices: Sequence[float]
) -> None:
    """Backpropagation beside central difference on the whole function, at `state["check_eps"]`
    (a slider)."""
    st.subheader("Backpropagation beside central difference")
    eps = st.select_slider(
        "eps for central difference on the whole function",
        choices,
        value=state["check_eps"],
        key=f"{page}:check_eps",
        format_func=step_text,
    )
    state["check_eps"] = eps
    checks = check_gradient(graph.trace(values), eps=eps)
    st.dataframe(
        {
            "variable": [c.variable for c in checks],
            "backpropagation": [c.backprop for c in checks],
            "central difference": [c.central for c in checks],
            "|difference|": [abs(c.backprop - c.central) for c in checks],
        },
        hide_index=True,
        column_config={"|difference|": st.column_config.NumberColumn(format="%.1e")},
    )
    for c in checks:
        if c.reason:  # plain text: the variable's name is as the student typed it
            st.text(f"Why they differ for {c.variable}: {c.reason}")
