"""docs/notebook.ipynb in a real JupyterLab, in headless Chromium: the player shows in the
cells' output, follows `player.step` set in Python, and a step taken in the browser reaches
the kernel.

JupyterLab runs on a free port from a temporary folder holding a copy of the notebook, with
its settings, workspaces and runtime files in that folder too, in its own process group,
stopped after the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, free_port, screenshot, stop_app

pytest.importorskip("anywidget", reason="pip install -r requirements-notebook.txt")
pytest.importorskip("jupyterlab", reason="pip install -r requirements-notebook.txt")

import engine  # noqa: E402

NOTEBOOK = ROOT / "docs" / "notebook.ipynb"
TRACE = engine.parse("log(xy)+exp(xy)").trace(x=1, y=2)
STEPS = len(TRACE)
ORDER_STARTS = TRACE.phase_range("order")[0]


# anywidget rejects a promise with this when a model takes over 2 s to start, which happens on a
# loaded machine; the model still starts (the test steps its player), so it is not a failure.
SLOW_START = "[anywidget] Failed to initialize model."


def start_lab(folder: Path) -> tuple[subprocess.Popen, str]:
    work = folder / "work"
    work.mkdir()
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    # No news or update pop-ups over the notebook.
    settings = folder / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        JUPYTER_CONFIG_DIR=str(folder / "config"),
        JUPYTER_DATA_DIR=str(folder / "data"),
        JUPYTER_RUNTIME_DIR=str(folder / "run"),
        JUPYTERLAB_SETTINGS_DIR=str(folder / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(folder / "workspaces"),
        IPYTHONDIR=str(folder / "ipython"),
    )
    port = free_port()
    log = (folder / "jupyter.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            f"--ServerApp.root_dir={work}",
            "--allow-root",
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited: {(folder / 'jupyter.log').read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2):
                return process, url
        except OSError:
            if time.monotonic() > deadline:
                stop_app(process)
                raise RuntimeError("JupyterLab did not start in 120 s") from None
            time.sleep(0.3)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    process, url = start_lab(tmp_path_factory.mktemp("jupyter"))
    yield url
    stop_app(process)


def run_all(page) -> None:
    """Run > Run All Cells, as a user does, and wait for the last cell's output."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function("document.querySelectorAll('.bp-player').length === 5")
    page.get_by_text("no value for y: give one per variable").wait_for()
    page.locator(".jp-OutputArea-output").filter(
        has_text=re.compile(r"y\.grad = \d|PyTorch is not installed here")
    ).wait_for()


def steps_shown(page) -> list[int]:
    return [int(p.get_attribute("data-step")) for p in page.query_selector_all(".bp-player")]


@pytest.mark.slow
def test_the_player_steps_in_jupyterlab_and_the_kernel_follows(lab, page):
    page.set_default_timeout(120_000)
    page.goto(f"{lab}/lab/tree/{NOTEBOOK.name}")
    idle = page.get_by_text("Python 3 (ipykernel) | Idle")
    idle.wait_for()
    run_all(page)
    # The cells after the player set player.step: the last step, then the order's first.
    page.wait_for_function(
        f"document.querySelectorAll('.bp-player')[1].dataset.step === '{ORDER_STARTS}'"
    )
    idle.wait_for()

    player = page.locator(".bp-player").nth(1)
    assert player.locator(".bp-title").text_content() == "log(xy)+exp(xy)"
    assert player.locator(".bp-count").text_content() == f"Step {ORDER_STARTS} of {STEPS}"
    player.scroll_into_view_if_needed()
    screenshot(page, "notebook-jupyterlab")

    # A click on "Next step" in the output, then the arrow key: the player has the keyboard.
    player.get_by_role("button", name="Next step").click()
    assert player.locator(".bp-count").text_content() == f"Step {ORDER_STARTS + 1} of {STEPS}"
    page.keyboard.press("ArrowRight")
    assert player.locator(".bp-count").text_content() == f"Step {ORDER_STARTS + 2} of {STEPS}"
    # The other players did not move.
    shown = steps_shown(page)
    assert shown[1] == ORDER_STARTS + 2 and shown[0] == shown[3] == shown[4] == 0

    # The kernel has the step: run the cell that prints the player again.
    cell = page.locator(".jp-CodeCell").filter(has_text="print(player.explanation)")
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    output = cell.locator(".jp-OutputArea-output")
    output.filter(has_text=f"step {ORDER_STARTS + 2} of {STEPS} (order)").wait_for()

    # The players take JupyterLab's theme ("auto"), and follow it when it changes.
    themes = (
        "[...document.querySelectorAll('.bp-player')].map(p => p.classList.contains("
        "'bp-theme-dark'))"
    )
    assert page.evaluate(themes) == [False, False, False, True, False]
    player.get_by_role("button", name="Zoom in").click()
    zoomed = player.get_attribute("data-zoom")
    assert zoomed != "fit"
    page.get_by_role("menuitem", name="Settings", exact=True).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Theme$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^JupyterLab Dark$")).click()
    page.wait_for_function(f"{themes}.every(Boolean)")
    # The same players in the new theme, at the step and the zoom they showed.
    assert player.locator(".bp-count").text_content() == f"Step {ORDER_STARTS + 2} of {STEPS}"
    assert player.get_attribute("data-zoom") == zoomed
    player.scroll_into_view_if_needed()
    screenshot(page, "notebook-jupyterlab-dark")
    assert [e for e in page.errors if e != SLOW_START] == []


@pytest.mark.slow
def test_the_player_steps_in_jupyter_notebook_7(lab, page):
    # Notebook 7's own settings loader throws on a fresh profile ("reading 'schema'", from its
    # notebook_core bundle); errors from the widget's module would come from a blob: URL.
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{error} {error.stack}"))
    page.set_default_timeout(120_000)
    page.goto(f"{lab}/notebooks/{NOTEBOOK.name}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    run_all(page)
    page.wait_for_function(
        f"document.querySelectorAll('.bp-player')[1].dataset.step === '{ORDER_STARTS}'"
    )
    dark = page.locator(".bp-player").nth(3)
    assert "bp-theme-dark" in dark.get_attribute("class")
    dark.scroll_into_view_if_needed()
    dark.get_by_role("button", name="Next step").click()
    assert dark.locator(".bp-count").text_content().startswith("Step 1 of ")
    # The other players stay where the notebook put them: the start, the order's first step,
    # the last step of the backward pass in the wrong order, and the loss's start.
    graph = engine.parse("log(xy)+exp(xy)")
    wrong = engine.backward_in_order(graph, {"x": 1, "y": 2}, engine.first_visit_order(graph))
    assert steps_shown(page) == [0, ORDER_STARTS, len(wrong), 1, 0]
    screenshot(page, "notebook-notebook7-dark")
    assert [e for e in errors if "blob:" in e or "mountPlayer" in e] == []
