"""What every page shares: its state from the URL once per session, the link's problems, the
link written back, and the clean views."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import streamlit as st

from .url import LinkReader, query

# Where this run shows the link's problems: a placeholder near the top, filled when the page
# writes its link (by then the page knows whether the student has changed anything).
_slots = threading.local()


def state_from_link(page: str, read: Callable[[LinkReader], dict]) -> dict:
    """The page's state: read from the URL on the session's first visit, then kept.

    Kept in a non-widget key, because Streamlit forgets a widget's value when the student
    visits a page without that widget.
    """
    key = f"{page}:state"
    if key not in st.session_state:
        reader = LinkReader.of(st.query_params)
        st.session_state[key] = read(reader)
        st.session_state[f"{page}:link-problems"] = reader.problems
    return st.session_state[key]


@dataclass(frozen=True)
class Latex:
    """A displayed formula in a page's opening (LaTeX source, fixed by the page)."""

    source: str


@dataclass(frozen=True)
class Caption:
    """A line in small type in a page's opening (Markdown, fixed by the page)."""

    text: str


def opening(
    page: str,
    read: Callable[[LinkReader], dict],
    title: str,
    *intro: str | Latex | Caption,
    shown: bool = True,
) -> dict:
    """A page's state (see state_from_link) and, where `shown`, its title, its introduction
    (Markdown, formulas, captions, in order) and the place for the link's problems."""
    state = state_from_link(page, read)
    if shown:
        st.title(title)
        for part in intro:
            if isinstance(part, Latex):
                st.latex(part.source)
            elif isinstance(part, Caption):
                st.caption(part.text)
            else:
                st.markdown(part)
        show_link_problems(page)
    return state


def show_link_problems(page: str) -> None:
    """Where the link's problems appear. They stay on screen, run after run, until the student
    changes something the link holds (a step of the player does not count)."""
    slots = getattr(_slots, "pages", None)
    if slots is None:
        slots = _slots.pages = {}
    slots[page] = st.empty()
    _fill(slots[page], link_problems(page))


def _fill(slot, problems: list[str]) -> None:
    if problems:
        from .widgets import plain  # widgets builds on this module

        slot.warning(
            "This link was partly unreadable:\n\n" + "\n".join(f"- {plain(p)}" for p in problems),
            icon=":material/link_off:",
        )
    else:
        slot.empty()


def link_problems(page: str) -> list[str]:
    """The link's problems still on screen (a page may add its own, e.g. a step past the end)."""
    return st.session_state.setdefault(f"{page}:link-problems", [])


def share_under(page: str, deck: dict, field: str) -> None:
    """Keep a place under a lesson's player for its link, embed code and slides; write_link
    fills it, once the page's link is known."""
    slots = getattr(_slots, "share", None)
    if slots is None:
        slots = _slots.share = {}
    slots[page] = (st.empty(), deck, field)


def write_link(
    page: str,
    settings: Mapping[str, object],
    variables: Mapping[str, float] | None = None,
    steps: Sequence[str] = ("step",),
) -> None:
    """Write the page's state into the URL (ui.url.query), and show the link's problems while
    nothing but the `steps` has changed since the page was opened. The view's own settings
    (present, theme) stay in the link."""
    params = query(settings, variables or {})
    for kept in ("present", "theme"):
        if st.query_params.get(kept):
            params[kept] = st.query_params[kept]
    st.query_params.from_dict(params)
    shared = getattr(_slots, "share", {}).pop(page, None)
    if shared is not None:
        from .widgets import share  # widgets builds on this module

        slot, deck, _ = shared
        with slot.container():
            share(
                deck,
                {
                    k: v
                    for k, v in params.items()
                    if k not in ("present", *steps) and k[1:] not in steps
                },
                key=f"{page}:share-open",
            )
    settled = {k: v for k, v in params.items() if k not in steps and k[1:] not in steps}
    opened = st.session_state.setdefault(f"{page}:link-opened", settled)
    problems = link_problems(page)
    if opened != settled:
        problems.clear()
    slot = getattr(_slots, "pages", {}).pop(page, None)
    if slot is not None:
        _fill(slot, problems)


def view_params() -> dict[str, str]:
    """The link's parameters of the view itself (present, theme, embed), kept when a page
    writes its own state into the link."""
    return {k: st.query_params[k] for k in ("present", "theme", "embed") if k in st.query_params}


def clean_view() -> bool:
    """`?embed=true` (an iframe on a slide) or `?present=true` (the lecture hall)."""
    return bool(st.context.is_embedded) or presenting()


def presenting() -> bool:
    return st.query_params.get("present", "").lower() in ("true", "1", "yes")


def theme() -> str:
    """The diagram's theme: the link's `theme=`, else Streamlit's own."""
    asked = st.query_params.get("theme", "").lower()
    if asked in ("light", "dark"):
        return asked
    return "dark" if getattr(st.context.theme, "type", None) == "dark" else "light"


def _present(on: bool) -> None:
    if on:
        st.query_params["present"] = "true"
    elif "present" in st.query_params:
        del st.query_params["present"]


def presenter_switch() -> None:
    """Into presenter mode with a toggle; out of it with a quiet button under the player."""
    if not presenting():
        st.toggle(
            "Presenter mode",
            value=False,
            on_change=_present,
            args=(True,),
            key="presenter-mode",
            help="Large type and only the diagram, the explanation and the step "
            "controls, for the back of a lecture hall. Also as ?present=true.",
        )
    elif not st.context.is_embedded:
        st.button(
            "Exit presenter mode",
            on_click=_present,
            args=(False,),
            type="tertiary",
            icon=":material/close_fullscreen:",
        )


def past_the_end(page: str, name: str, value: int, last: int) -> int:
    """A step past the end shows the last one; the first time, from a link, the page says so."""
    if value > last and not st.session_state.get(f"{page}:{name}:read"):
        link_problems(page).append(
            f"The link's {name}={value} is past the last step, {last}; the last step is shown."
        )
    st.session_state[f"{page}:{name}:read"] = True
    return min(value, last)


def example_chooser(
    page: str,
    state: dict,
    examples: dict[str, dict[str, float]],
    then: Callable[[], None] | None = None,
) -> Callable[[], None]:
    """The on_change of a page's "Examples" box: the function and its values, into the inputs.

    The box empties again afterwards, so the same example can be picked twice.
    """

    def choose() -> None:
        expr = st.session_state[f"{page}:example"]
        if expr:
            state["expr"] = st.session_state[f"{page}:expr"] = expr
            for name, value in examples[expr].items():
                state["values"][name] = st.session_state[f"{page}:value:{name}"] = value
            st.session_state[f"{page}:example"] = None
            if then is not None:
                then()

    return choose
