"""What every page shares: its state from the URL once per session, and the clean views."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from .url import LinkReader


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


def show_link_problems(page: str) -> None:
    problems = st.session_state.pop(f"{page}:link-problems", [])
    if problems:
        st.warning("This link was partly unreadable:\n\n" + "\n".join(f"- {p}" for p in
                                                                       problems))


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
        st.toggle("Presenter mode", value=False, on_change=_present, args=(True,),
                  key="presenter-mode",
                  help="Large type and only the diagram, the explanation and the step "
                       "controls, for the back of a lecture hall. Also as ?present=true.")
    elif not st.context.is_embedded:
        st.button("Exit presenter mode", on_click=_present, args=(False,), type="tertiary",
                  icon=":material/close_fullscreen:")


def past_the_end(page: str, name: str, value: int, last: int) -> int:
    """A step past the end shows the last one; the first time, from a link, the page says so."""
    if value > last and not st.session_state.get(f"{page}:{name}:read"):
        st.warning(f"The link's {name}={value} is past the last step, {last}; the last step "
                   "is shown.")
    st.session_state[f"{page}:{name}:read"] = True
    return min(value, last)


def example_chooser(page: str, state: dict, examples: dict[str, dict[str, float]],
                    then: Callable[[], None] | None = None) -> Callable[[], None]:
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
