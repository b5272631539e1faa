"""The step player in a Jupyter notebook: the same player.js as the app and the slide file.

    from drawing.notebook import Player
    Player("log(xy)+exp(xy)", x=1, y=2)        # the last line of a cell shows it

A `Player` is an anywidget (JupyterLab, Jupyter Notebook 7, VS Code, Colab …). Its `step` is a
synced trait: `player.step = 5` moves the player, and stepping in the browser changes
`player.step`. It needs the optional extra: pip install -r requirements-notebook.txt
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

try:
    import anywidget
    import traitlets
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        "drawing.notebook needs the notebook extra: pip install -r requirements-notebook.txt"
    ) from err

import engine
from engine.explain import explain

from .deck import ASSETS, deck_data, player_sources

THEMES = ("auto", "light", "dark")


class PlayerError(ValueError):
    """Input the player cannot show: the message says what is wrong and how to fix it.

    In IPython and Jupyter it prints as its message alone, without a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


@lru_cache(maxsize=1)
def module_sources() -> tuple[str, str]:
    """The widget's ES module (player.js, then the notebook adapter) and its stylesheet."""
    js, css = player_sources()
    adapter = (ASSETS / "notebook.js").read_text(encoding="utf-8")
    return js + "\n" + adapter, css


def _graph(function: str | engine.Graph, tree: bool) -> engine.Graph:
    if isinstance(function, engine.Graph):
        if not tree:
            return function
        # The same function with every use of a shared subexpression drawn as its own box.
        function = function.text or function.to_text()
    if not isinstance(function, str):
        raise PlayerError(
            'give the function as text, e.g. Player("log(xy)+exp(xy)", x=1, '
            f"y=2), or as a graph from engine.parse, not {type(function).__name__}"
        )
    try:
        return engine.parse(function, merge=not tree)
    except engine.ParseError as err:
        raise PlayerError(f"cannot read the function: {err}\n{err.pointer()}") from None


def _trace(graph: engine.Graph, values: dict[str, Any], local: Any, eps: Any) -> engine.Trace:
    missing = [v for v in graph.variables if v not in values]
    if missing:
        example = ", ".join(f"{v}=1" for v in graph.variables)
        raise PlayerError(
            f"no value for {', '.join(missing)}: give one per variable, e.g. "
            f"Player({(graph.text or graph.to_text())!r}, {example})"
        )
    try:
        return graph.trace(values, local=local, eps=eps)
    except ValueError as err:
        raise PlayerError(str(err)) from None


class Player(anywidget.AnyWidget):
    """Every forward, ordering and backward step of backpropagation on a function, to step
    through with the buttons, the slider, play/pause or the keyboard (click the player first).

    `function` is text such as "log(xy)+exp(xy)" or a graph from `engine.parse`; the variables'
    values are keyword arguments (or a mapping as the second argument). A ready trace, such as
    one from `engine.backward_in_order`, is shown as it is. The options are those of
    `python -m drawing`: `local` ("symbolic" or "numerical" local derivatives), `eps` (for the
    numerical ones and the final gradient check), `tree` (a repeated subexpression drawn at each
    use), `theme` ("light", "dark", or "auto", the default: the notebook's own theme) and
    `present` (large type); `step` is the step shown first, `height` the player's in pixels.
    """

    _esm = module_sources()[0]
    _css = module_sources()[1]

    deck = traitlets.Dict().tag(sync=True)
    options = traitlets.Dict().tag(sync=True)
    height = traitlets.Int(560).tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)

    def __init__(
        self,
        function: str | engine.Graph | engine.Trace,
        values: Mapping[str, Any] | None = None,
        /,
        *,
        local: str = "symbolic",
        eps: float = 1e-4,
        tree: bool = False,
        theme: str = "auto",
        present: bool = False,
        step: int = 0,
        height: int = 560,
        **more: Any,
    ) -> None:
        if theme not in THEMES:
            raise PlayerError(f"theme must be 'auto', 'light' or 'dark', not {theme!r}")
        if isinstance(height, bool) or not isinstance(height, int) or not 200 <= height <= 4000:
            raise PlayerError(f"height is in pixels, from 200 to 4000, not {height!r}")
        given = {**(values or {}), **more}
        if isinstance(function, engine.Trace):
            if given:
                raise PlayerError("a trace has its values already: give no values with it")
            trace = function
        else:
            trace = _trace(_graph(function, tree), given, local, eps)
        graph = trace.graph
        title = function if isinstance(function, str) else (graph.text or graph.to_text())
        deck = deck_data(trace, title=title, check_eps=eps)
        self.trace = trace
        self.last = len(trace)
        super().__init__(deck=deck, options={"theme": theme, "present": present}, height=height)
        self.step = step  # validated against this trace's steps

    @traitlets.validate("step")
    def _valid_step(self, proposal: dict) -> int:
        k = proposal["value"]
        last = getattr(self, "last", 0)
        if not 0 <= k <= last:
            raise PlayerError(f"step {k} is outside this trace's steps, 0 to {last}")
        return k

    @property
    def graph(self) -> engine.Graph:
        return self.trace.graph

    @property
    def phase(self) -> str:
        """The phase of the step shown: 'start', 'forward', 'order' or 'backward'."""
        return str(self.deck["frames"][self.step]["phase"])

    @property
    def explanation(self) -> str:
        """The explanation of the step shown, as plain text."""
        return explain(self.trace, self.step).as_text()

    def __repr__(self) -> str:
        return f"<Player {self.deck['title']!r}: step {self.step} of {self.last} ({self.phase})>"
