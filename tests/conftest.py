"""Shared fixtures: the real app served on a free port, and Debian's Chromium driven by Playwright.

Browser tests are skipped where Chromium is missing, except under CI, where a missing browser
is a failure: CI installs it, so its absence means the setup broke.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "screenshots"
# The course's functions, as students type them: the tests' and benchmarks' ordinary cases.
COURSE = [
    "log(xy)+exp(xy)",
    "sin(x^2)",
    "sigmoid(w x + b)",
    "(a+b)(b+1)",
    "2x + 3y",
    "x/x",
    "tanh(w1 x1 + w2 x2 + b)",
    "sqrt(x^2 + y^2)",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not become healthy in {timeout} s")


def streamlit_command(python: str = sys.executable) -> list[str]:
    """`streamlit run app.py` with the `streamlit` script that sits beside `python`, as the start
    script, the image and hosting services start the app."""
    return [str(Path(python).parent / "streamlit"), "run", "app.py"]


def start_app(
    cwd: Path = ROOT,
    python: str = sys.executable,
    extra: list[str] | None = None,
    command: list[str] | None = None,
):
    """Start the app as its start script does (`streamlit run app.py`, or `command`) in its
    own process group; returns (process, url)."""
    port = free_port()
    process = subprocess.Popen(
        [
            *(command or streamlit_command(python)),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            *(extra or []),
        ],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
    except Exception:
        stop_app(process)
        raise
    return process, url


def stop_app(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="session")
def app_url():
    process, url = start_app()
    yield url
    stop_app(process)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(
                "Chromium is missing: install the Debian packages chromium and chromium-driver"
            )
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def sized(browser):
    """Opens a page at the given viewport, `sized({"width": 1280, "height": 800})`, with any other
    browser-context options (`has_touch=True`), each in a context of its own, closed after the
    test; the page's uncaught errors are collected in `page.errors`."""
    contexts = []

    def open_at(viewport: dict, **options):
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield open_at
    for context in contexts:
        context.close()


@pytest.fixture
def page(sized):
    return sized({"width": 1400, "height": 1000})


def screenshot(page, name: str) -> Path:
    """Save a screenshot under screenshots/ (ignored by git) to look at after a run."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def player_frame(page):
    """The step player: it renders in the component's shadow root, which Playwright pierces."""
    return page.locator(".bp-player").first


def idle(page) -> None:
    """Wait until the app's script has finished its run (Streamlit marks the page)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=60_000
    )


def assert_step_in_view(page) -> None:
    """The step's box (the player's current node) lies wholly inside the visible part of the
    diagram, its stage."""
    frame = player_frame(page)
    current = frame.locator("g.bp-node.bp-current").first.bounding_box()
    stage = frame.locator(".bp-stage").bounding_box()
    assert current is not None and stage is not None
    assert (
        stage["x"] <= current["x"]
        and current["x"] + current["width"] <= stage["x"] + stage["width"]
        and stage["y"] <= current["y"]
        and current["y"] + current["height"] <= stage["y"] + stage["height"]
    ), f"the step's box {current} is not inside the stage {stage}"


def open_player(page, url: str, timeout: float = 60_000) -> None:
    """Open `url`, wait for its step player and for the app's run to finish."""
    page.goto(url)
    page.get_by_role("button", name="Next step").first.wait_for(timeout=timeout)
    idle(page)


def component_data(component) -> dict:
    """What the app gives a step player component (an AppTest element): its data, sent as
    bytes, a line of JSON and then the deck's JSON (ui/player.py), read as the browser reads it
    (bpComponentData in assets/player.js)."""
    head, newline, deck = component.proto.bytes.partition(b"\n")
    assert newline, "the player's data is a line of JSON, then the deck"
    return {**json.loads(head), "deck": json.loads(deck)}


def run_python(code: str, folder: Path, name: str = "h.py") -> str:
    """Run `code` as a student runs what they paste: saved as `name` in `folder`, in a fresh
    Python. Its standard output; CalledProcessError where it fails."""
    path = folder / name
    path.write_text(code)
    return subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=True
    ).stdout


# Every frame the page draws: x's field, the player's step, the value on the diagram's x box,
# and whether the player is greyed out (faded as a stale element, or dimmed); and the time and x's
# field at the moment the button is let go, before the browser's click on letting go.
HELD_FRAMES = """(field) => {
  const frames = [];
  window.heldFrames = frames;
  const find = (root) => {
    for (const element of root.querySelectorAll('*')) {
      if (!element.shadowRoot) continue;
      if (element.shadowRoot.querySelector('.bp-player')) return element;
      const inner = find(element.shadowRoot);
      if (inner) return inner;
    }
    return null;
  };
  let host = null;
  const frame = () => {
    if (!host || !host.isConnected) host = find(document);
    const player = host && host.shadowRoot.querySelector('.bp-player');
    const x = player && player.querySelector('g#bp-n0 text[data-line="2"]');
    const around = host && host.closest('[data-testid="stElementContainer"]');
    frames.push({
      t: performance.now(),
      field: field.value,
      step: player ? player.querySelector('.bp-count').textContent : null,
      x: x ? x.textContent : null,
      greyed: !around || getComputedStyle(around).opacity !== '1'
        || host.closest('.st-key-player-dimmed') !== null,
    });
    requestAnimationFrame(frame);
  };
  frame();
  window.addEventListener('pointerup', () => {
    window.heldRelease = {t: performance.now(), field: field.value};
  }, true);
}"""
