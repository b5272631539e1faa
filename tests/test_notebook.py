"""The step player as a Jupyter widget (drawing.notebook.Player) and the course notebook.

The widget class is tested in Python (its traits, what it sends to the front end, its inputs
and options, its errors); docs/notebook.ipynb is executed headless with nbclient, and opened in
a real JupyterLab in Chromium in tests/test_notebook_browser.py.
"""

from __future__ import annotations

import math
import re
from itertools import pairwise
from pathlib import Path

import pytest

anywidget = pytest.importorskip("anywidget", reason="pip install -r requirements-notebook.txt")

import engine  # noqa: E402
from drawing.deck import ASSETS, deck_data  # noqa: E402
from drawing.notebook import Player, PlayerError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class RecordingComm:
    """Stands in for the kernel's comm: keeps what the widget sends to the front end."""

    kernel = object()
    comm_id = "recording"

    def on_msg(self, callback) -> None:
        pass

    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send(self, data=None, buffers=None, **_):
        self.sent.append(data)

    def close(self, *_, **__):
        pass


def updates(comm: RecordingComm, name: str) -> list:
    return [
        m["state"][name]
        for m in comm.sent
        if m.get("method") == "update" and name in m.get("state", {})
    ]


# -- the widget ---------------------------------------------------------------------------------


def test_the_module_is_player_js_then_the_notebook_adapter():
    player = Player("x*y", x=1, y=2)
    js = (ASSETS / "player.js").read_text(encoding="utf-8")
    adapter = (ASSETS / "notebook.js").read_text(encoding="utf-8")
    assert player._esm.startswith(js) and player._esm.endswith(adapter)
    assert "export default" in adapter and "mountPlayer(root" in adapter
    assert player._css == (ASSETS / "player.css").read_text(encoding="utf-8")


def test_the_deck_is_the_apps_deck_of_the_same_trace():
    player = Player("log(xy)+exp(xy)", x=1, y=2)
    trace = engine.parse("log(xy)+exp(xy)").trace(x=1, y=2)
    assert player.deck == deck_data(trace, title="log(xy)+exp(xy)")
    assert player.last == len(trace) == len(player.deck["frames"]) - 1
    # Backpropagation's answer, against the derivatives worked out by hand.
    assert player.trace.gradient["x"] == pytest.approx(1 / 1 + 2 * math.exp(2))
    assert player.trace.gradient["y"] == pytest.approx(1 / 2 + 1 * math.exp(2))


def test_setting_step_in_python_sends_it_to_the_player():
    player = Player("log(xy)+exp(xy)", x=1, y=2)
    comm = RecordingComm()
    player.comm = comm
    player.step = 7
    assert updates(comm, "step") == [7]
    assert player.get_state()["step"] == 7
    assert player.phase == player.deck["frames"][7]["phase"]
    assert player.explanation == engine.explain.explain(player.trace, 7).as_text()


def test_a_step_taken_in_the_browser_updates_python():
    player = Player("sin(x^2)", x=3)
    seen = []
    player.observe(lambda change: seen.append(change["new"]), names="step")
    # What ipywidgets does with an "update" message from the front end.
    player.set_state({"step": 4})
    assert player.step == 4 and seen == [4]
    assert str(player) == f"<Player 'sin(x^2)': step 4 of {player.last} ({player.phase})>"


def test_a_step_outside_the_trace_is_refused_with_its_range():
    player = Player("sin(x^2)", x=3)
    with pytest.raises(
        PlayerError,
        match=rf"step {player.last + 1} is outside .* 0 to "
        rf"{player.last}",
    ):
        player.step = player.last + 1
    with pytest.raises(PlayerError, match="step -1 is outside"):
        player.step = -1
    assert player.step == 0
    with pytest.raises(PlayerError, match="outside"):
        Player("sin(x^2)", x=3, step=999)


def test_the_theme_is_the_notebooks_unless_chosen():
    assert Player("x+1", x=1).get_state()["options"]["theme"] == "auto"
    assert Player("x+1", x=1, theme="light").get_state()["options"]["theme"] == "light"


def test_the_first_step_shown_and_the_options_reach_the_front_end():
    player = Player("sin(x^2)", x=3, step=3, theme="dark", present=True, height=700)
    state = player.get_state()
    assert state["step"] == 3 and state["height"] == 700
    assert state["options"] == {"theme": "dark", "present": True}


def test_a_parsed_graph_is_shown_as_its_text():
    graph = engine.parse("log(xy)+exp(xy)")
    from_graph = Player(graph, x=1, y=2)
    from_text = Player("log(xy)+exp(xy)", {"x": 1, "y": 2})
    assert from_graph.graph is graph
    assert from_graph.deck == from_text.deck


def test_tree_draws_a_shared_subexpression_at_each_use():
    dag = Player("log(xy)+exp(xy)", x=1, y=2)
    tree = Player("log(xy)+exp(xy)", x=1, y=2, tree=True)
    from_graph = Player(engine.parse("log(xy)+exp(xy)"), x=1, y=2, tree=True)
    labels = [n.label for n in tree.graph.nodes]
    assert [n.label for n in dag.graph.nodes].count("mul") == 1
    assert labels.count("mul") == 2 and labels.count("x") == 2
    assert [n.label for n in from_graph.graph.nodes] == labels
    assert tree.trace.gradient == pytest.approx(dag.trace.gradient)


def test_numerical_local_derivatives_with_their_eps():
    symbolic = Player("sin(x^2)", x=3)
    numerical = Player("sin(x^2)", x=3, local="numerical", eps=1e-3)
    assert numerical.trace.local == "numerical" and symbolic.trace.local == "symbolic"
    exact = 2 * 3 * math.cos(9)
    # A numerical local derivative is close to the exact one, but not equal to it.
    assert numerical.trace.gradient["x"] == pytest.approx(exact, rel=1e-5)
    assert numerical.trace.gradient["x"] != symbolic.trace.gradient["x"]
    assert "eps = 0.001" in numerical.deck["frames"][-1]["html"]


def test_a_ready_trace_is_shown_as_it_is():
    graph = engine.parse("log(xy)+exp(xy)")
    wrong = engine.backward_in_order(graph, {"x": 1, "y": 2}, engine.first_visit_order(graph))
    player = Player(wrong)
    assert player.trace is wrong and player.last == len(wrong)
    assert any(
        "bp-warn" in look["classes"]
        for frame in player.deck["frames"]
        for look in frame["patch"].values()
    )
    with pytest.raises(PlayerError, match="no values"):
        Player(wrong, x=1)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: Player("log(xy", x=1, y=2),
            r"cannot read the function: .*never closed.*\n"
            r"log\(xy\n   \^",
        ),
        (
            lambda: Player("log(xy)", x=1),
            r"no value for y: give one per variable, e\.g\. "
            r"Player\('log\(xy\)', x=1, y=1\)",
        ),
        (lambda: Player("x+1", x=1, z=2), "z is not a variable"),
        (lambda: Player("x+1", x="one"), "the value of x must be a number"),
        (lambda: Player("x+1", x=1, eps=0), "eps must be a positive number"),
        (lambda: Player("x+1", x=1, local="exact"), "local must be 'symbolic' or 'numerical'"),
        (lambda: Player("x+1", x=1, theme="blue"), "theme must be 'auto', 'light' or 'dark'"),
        (lambda: Player("x+1", x=1, height=50), "height is in pixels"),
        (lambda: Player(42), "give the function as text"),
    ],
)
def test_bad_input_gets_a_message_not_a_traceback(call, message):
    with pytest.raises(PlayerError, match=message) as caught:
        call()
    error = caught.value
    # Not chained to the engine's exception, and IPython shows the message alone.
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert error._render_traceback_() == [f"PlayerError: {error}"]


def test_ipython_shows_a_player_error_without_a_traceback(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_cell("from drawing.notebook import Player\nPlayer('log(xy', x=1, y=2)")
    finally:
        InteractiveShell.clear_instance()
    out = capsys.readouterr()
    text = out.out + out.err
    assert "PlayerError: cannot read the function" in text
    assert "Traceback" not in text and "File " not in text


# -- the notebook -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def executed():
    import nbclient
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    return notebook


def test_the_notebook_is_committed_without_outputs():
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source
    assert "widgets" not in notebook.metadata


def text_of(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_the_notebook_runs_and_shows_its_players(executed):
    code = [c for c in executed.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []
    shows = [c for c in code if any(WIDGET_VIEW in o.get("data", {}) for o in c.outputs)]
    # The cells tagged "player" (those that end with a Player), and only those, show one.
    tagged = [c for c in code if "player" in c.metadata.get("tags", [])]
    assert shows == tagged and len(shows) == 5
    # Each view names a widget model whose deck is a player's.
    state = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    for cell in shows:
        view = next(o.data[WIDGET_VIEW] for o in cell.outputs if WIDGET_VIEW in o.get("data", {}))
        model = state[view["model_id"]]["state"]
        assert model["deck"]["frames"] and model["deck"]["svg"].startswith("<svg")


def test_the_notebook_tells_the_courses_numbers(executed):
    text = "\n".join(text_of(c) for c in executed.cells if c.cell_type == "code")
    # The oracles: derivatives worked out by hand.
    x = 3.0
    assert f"f(3)            = {math.sin(x * x):.4f}" in text  # 0.4121
    assert f"df/dx = {2 * x * math.cos(x * x):.4f}" in text  # -5.4668
    # At eps = 1e-4 central difference is off by about eps² |f‴(x)| / 6: a few 1e-7 here.
    estimate = float(re.search(r"central diff\.   = (\S+)", text).group(1))
    assert estimate == pytest.approx(2 * x * math.cos(x * x), abs=1e-6)
    assert estimate != 2 * x * math.cos(x * x)
    dx, dy = 1 + 2 * math.exp(2), 0.5 + math.exp(2)
    assert f"d/dx: backprop {dx:.4f}   central difference {dx:.4f}" in text  # 15.7781
    assert f"d/dy: backprop {dy:.4f}   central difference {dy:.4f}" in text  # 7.8891
    assert "\n" + "x → y → × (node 3) → log (node 4) → exp (node 5) → + (node 6)" in text
    assert "cannot read the function" in text and "no value for y" in text


def test_the_notebook_moves_its_player_from_python(executed):
    # `player.step = ...` in later cells is what the stored widget state holds for that player.
    state = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    trace = engine.parse("log(xy)+exp(xy)").trace(x=1, y=2)
    order_starts = trace.phase_range("order")[0]
    steps = [
        m["state"]["step"]
        for m in state.values()
        if m["state"].get("deck", {}).get("title") == "log(xy)+exp(xy)"
    ]
    assert order_starts in steps


# The loss of section 7 and its gradient, worked out by hand.
def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def loss_by_hand(w: float, b: float) -> float:
    return (sigmoid(2 * w + b) - 1) ** 2 + sigmoid(-w + b) ** 2


def gradient_by_hand(w: float, b: float) -> tuple[float, float]:
    s1, s2 = sigmoid(2 * w + b), sigmoid(-w + b)
    first = 2 * (s1 - 1) * s1 * (1 - s1)  # d/dz of (sigmoid(z) - 1)^2
    second = 2 * s2 * s2 * (1 - s2)  # d/dz of sigmoid(z)^2
    return 2 * first - second, first + second


def number(text: str) -> float:
    return float(text.replace("−", "-").strip("()"))


def test_the_notebook_takes_a_gradient_step(executed):
    text = "\n".join(text_of(c) for c in executed.cells if c.cell_type == "code")
    w, b, lr = 0.5, 0.0, 0.5
    gw, gb = gradient_by_hand(w, b)
    assert f"loss before = {loss_by_hand(w, b):.6f}" in text  # 0.214866
    updates = dict(
        (m[0], m[1:])
        for m in re.findall(r"^(\w) ← \1 − lr · ∂L/∂\1 = (\S+) − 0\.5 · (\S+) = (\S+)$", text, re.M)
    )
    assert set(updates) == {"w", "b"}
    for name, start, slope in (("w", w, gw), ("b", b, gb)):
        before, gradient, after = (number(t) for t in updates[name])
        assert before == start
        assert gradient == pytest.approx(slope, rel=1e-3)  # shown to 4 digits
        assert after == pytest.approx(start - lr * slope, rel=1e-3)
    after = loss_by_hand(w - lr * gw, b - lr * gb)
    assert f"loss after  = {after:.6f}" in text and after < loss_by_hand(w, b)
    # Ten steps, each from where the last one ended: the loss falls at every one.
    losses = []
    for _ in range(11):
        losses.append(loss_by_hand(w, b))
        gw, gb = gradient_by_hand(w, b)
        w, b = w - lr * gw, b - lr * gb
    for k, value in enumerate(losses):
        assert f"after {k:2} steps: loss = {value:.6f}" in text
    assert all(later < earlier for earlier, later in pairwise(losses))


def test_the_notebook_shows_too_large_a_rate(executed):
    text = "\n".join(text_of(c) for c in executed.cells if c.cell_type == "code")
    # (w - 1)^2 + 4(b + 2)^2 from (0, 0): each step multiplies w - 1 by 1 - 2 lr and b + 2
    # by 1 - 8 lr.
    for lr, trend in ((0.2, "falls"), (0.3, "grows: lr is too large")):
        losses = [(1 - 2 * lr) ** (2 * k) + 16 * (1 - 8 * lr) ** (2 * k) for k in range(7)]
        assert f"lr = {lr}: loss " + ", ".join(f"{v:.4g}" for v in losses) + f"  ({trend})" in text
    # At 0.3 the loss grows by 1.96 a step until a float cannot hold it.
    w, b, steps = 0.0, 0.0, 0
    while math.isfinite((w - 1) * (w - 1) + 4 * (b + 2) * (b + 2)):
        w, b, steps = w - 0.3 * 2 * (w - 1), b - 0.3 * 8 * (b + 2), steps + 1
    assert f"Training stopped after {steps} steps: the loss became inf" in text  # 1051


def test_the_notebook_shows_the_boxes_in_pytorch(executed):
    import importlib.util

    text = "\n".join(text_of(c) for c in executed.cells if c.cell_type == "code")
    assert "import torch" in text and "requires_grad=True" in text and "h.backward()" in text
    # PyTorch's names for the nodes of log(xy) + exp(xy), from its documentation.
    names = {
        "x": "AccumulateGrad",
        "y": "AccumulateGrad",
        "× (node 3)": "MulBackward0",
        "log (node 4)": "LogBackward0",
        "exp (node 5)": "ExpBackward0",
        "+ (node 6)": "AddBackward0",
    }
    for position, (box, name) in enumerate(names.items(), start=1):
        assert f"node {position}: {box:14} {name}" in text
    dx, dy = 1 + 2 * math.exp(2), 0.5 + math.exp(2)
    if importlib.util.find_spec("torch") is None:
        assert "PyTorch is not installed here: pip install -r requirements-torch.txt" in text
        return
    assert f"x.grad = {dx:.4f}   (backprop here: {dx:.4f})" in text  # 15.7781
    assert f"y.grad = {dy:.4f}   (backprop here: {dy:.4f})" in text  # 7.8891
    for position, (box, name) in list(enumerate(names.items(), start=1))[2:]:
        assert f"node {position}: {box:14} grad_fn {name}" in text


# -- an optional extra ---------------------------------------------------------------------------


def test_the_app_does_not_need_the_notebook_extra():
    import subprocess
    import sys

    # The app's modules import with the extra's packages missing, and drawing.notebook says
    # how to install them.
    script = (
        "import sys\n"
        "for name in ('anywidget', 'ipywidgets', 'traitlets', 'ipykernel', 'nbclient'):\n"
        "    sys.modules[name] = None\n"
        "import drawing, drawing.deck, drawing.__main__, engine, ui.player, ui.page\n"
        "try:\n"
        "    import drawing.notebook\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "drawing.notebook needs the notebook extra: pip install -r requirements-notebook.txt"
    )
    app = (ROOT / "requirements.txt").read_text()
    for line in (ROOT / "requirements-notebook.txt").read_text().splitlines():
        name = line.split("==")[0].strip()
        if "==" in line:
            assert name not in app, name
