"""The step player in the app: the same player.js as the slide file, mounted as a component.

Every step is precomputed, so stepping and playing happen in the browser with no round trip to
the server: the player keeps its step in the page's URL itself (assets/player_app.js) and sends
nothing back, so a step costs no bytes on the websocket. The deck goes to the browser once per
function and point: the component's data stays identical from run to run while the deck does,
and Streamlit's message cache then sends a reference of a few dozen bytes instead of it.
The data goes as bytes (`player_data`): a line of JSON with everything but the deck, then the
deck's JSON, written once per deck (ui.work.deck_json). Streamlit then passes bytes along on each
run instead of writing megabytes of nested data as JSON twice, and the browser reads the deck once,
only when its player needs it (bpComponentData in assets/player.js).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import streamlit as st

from drawing.deck import digest as digest_of
from drawing.deck import player_sources

from .work import deck_json

ADAPTER = Path(__file__).resolve().parent.parent / "assets" / "player_app.js"


@dataclass(frozen=True)
class StepParam:
    """The query parameter that holds a player's step: the URL shows `step + offset`."""

    name: str
    offset: int = 0


@st.cache_resource
def _component():
    js, css = player_sources()
    return st.components.v2.component(
        "backprop_lab.player", js=js + ADAPTER.read_text("utf-8"), css=css
    )


def deck_digest(deck: dict, options: dict) -> str:
    """Identifies a deck and its look, without hashing megabytes of frames on every run."""
    return digest_of(
        [
            deck["title"],
            deck.get("shape"),
            len(deck["frames"]),
            deck["svg"],
            deck["frames"][0]["patch"],
            deck["frames"][-1]["html"],
            options,
        ]
    )


def player_data(head: dict, deck: bytes) -> bytes:
    """What the player component gets: `head` as one line of JSON, then the deck's JSON (JSON
    as json.dumps writes it has no line break, so the first one ends the head)."""
    return json.dumps(head, separators=(",", ":")).encode() + b"\n" + deck


def player(
    deck: dict,
    *,
    key: str,
    step: int = 0,
    height: int | Literal["fill"] = 600,
    theme: str = "light",
    present: bool = False,
    embed: bool = False,
    digest: str | None = None,
    limit: int | None = None,
    param: StepParam | None = StepParam("step"),
    on_expand: Callable[[object], None] | None = None,
    on_drawn: Callable[[], None] | None = None,
) -> int:
    """Show the deck's player, starting at `step`; its step then lives in the URL's `param`.

    A player already on the page keeps its own step, also when the deck changes to one of the
    same shape (the same function at another point, in another mode, with another eps), and a
    player mounted again on the same page in the same tab comes back where the student left it.
    The step is not reported back to Python: this returns `step`.
    `digest`: the whole deck's digest, computed once where the deck is built (ui.work);
    `limit`: the last step the student can reach (the deck's last by default).
    `on_expand`: called with what the player sends when the student clicks a collapsed box
    (untrusted: {"node": the box's root number, "step": the step shown}, to be checked).
    `on_drawn`: called in the run that follows the player's first diagram on screen (once per
    player mounted in the page), so that a page can draw what is under it after that, and in
    the run that follows each deck of first steps only (ui.work.deck, first_steps_only) on
    screen, so that the page can send the whole deck.
    `height`: in pixels, or "fill": what the window has left under the player (player_app.js).
    """
    options: dict = {"theme": theme, "present": present, "embed": embed}
    if limit is not None:
        options["limit"] = int(limit)
    key_of_deck = deck_digest(deck, options) if digest is None else digest_of([digest, options])
    events = {"on_expand_change": _no_callback} if on_expand is not None else {}
    if on_drawn is not None:
        events["on_drawn_change"] = _no_callback
    result = _component()(
        data=player_data(
            {
                "options": {**options, "step": step},
                "key": key_of_deck,
                "id": key,
                "height": height,
                "param": asdict(param) if param is not None else None,
                "expands": on_expand is not None,
                "reports": on_drawn is not None,
            },
            deck_json(key_of_deck, deck),
        ),
        key=key,
        # Presenter mode takes the window's height (player.css), not `height`; a filling
        # player sets its own, which the component's box then follows.
        height="content" if present or isinstance(height, str) else height + 8,
        **events,
    )
    if on_expand is not None and getattr(result, "expand", None) is not None:
        on_expand(result.expand)
    if on_drawn is not None and getattr(result, "drawn", None):
        on_drawn()
    return step


def _no_callback() -> None:
    """The component reports a click on a collapsed box, or its first diagram on screen, as an
    event; the page reads it from the component's result in the same run."""
