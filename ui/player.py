"""The step player in the app: the same player.js as the slide file, mounted as a component.

Every step is precomputed, so stepping and playing happen in the browser with no round trip to
the server. The player reports the step it shows back to Python (debounced, and not while
playing), which keeps it in the URL.
"""

from __future__ import annotations

import hashlib
import json

import streamlit as st

from drawing.deck import player_sources

# Mount once per element; mount again only when the deck or its options change, so a rerun
# caused by the player's own step report does not reset it.
_ADAPTER = """
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let root = parentElement.querySelector(".bp-root");
  if (!root) {
    root = document.createElement("div");
    root.className = "bp-root";
    parentElement.appendChild(root);
  }
  root.style.height = data.height + "px";
  if (root.bpKey !== data.key) {
    if (root.bpPlayer) root.bpPlayer.destroy();
    let reported = null;
    const options = Object.assign({}, data.options, {
      onStep: (k) => {
        clearTimeout(root.bpReport);
        root.bpReport = setTimeout(() => {
          if (k !== reported) { reported = k; setStateValue("step", k); }
        }, 400);
      },
    });
    root.bpPlayer = mountPlayer(root, data.deck, options);
    root.bpKey = data.key;
  }
  return undefined;
}
"""


@st.cache_resource
def _component():
    js, css = player_sources()
    return st.components.v2.component("backprop_lab.player", js=js + _ADAPTER, css=css)


def player(deck: dict, *, key: str, step: int = 0, height: int = 600, theme: str = "light",
           present: bool = False, embed: bool = False, digest: str | None = None,
           limit: int | None = None) -> int:
    """Show the deck's player and return the step it shows (as last reported).

    `digest`: the whole deck's digest, computed once where the deck is built (ui.work);
    `limit`: the last step the student can reach (the deck's last by default).
    """
    options = {"theme": theme, "present": present, "embed": embed}
    if limit is not None:
        options["limit"] = int(limit)
    # The step is left out of the key: the player reporting its step must not remount it.
    # A new deck or look mounts it again, at the step last reported.
    digest = hashlib.sha1(json.dumps([digest, options] if digest is not None else
                                     [deck["title"], len(deck["frames"]), deck["svg"],
                                      deck["frames"][-1]["html"], options],
                                     sort_keys=True).encode()).hexdigest()
    options["step"] = step
    result = _component()(data={"deck": deck, "options": options, "key": digest,
                                "height": height},
                          key=key, default={"step": step},
                          # Presenter mode takes the window's height (player.css), not `height`.
                          height="content" if present else height + 8,
                          on_step_change=lambda: None)
    reported = getattr(result, "step", None)
    return reported if isinstance(reported, int) and 0 <= reported < len(deck["frames"]) \
        else step
