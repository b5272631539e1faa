#!/usr/bin/env bash
# Set up everything the tests need and run every test, the slow ones included.
# Browser tests use Debian's Chromium; as root this installs it with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements-dev.txt
source scripts/venv.sh requirements-notebook.txt
# PyTorch is optional: where it cannot be installed, the tests that need it are skipped. A
# process of its own, so that a failed install stops there and writes no stamp.
bash scripts/venv.sh requirements-torch.txt ||
    echo "PyTorch (requirements-torch.txt) is not installed; the tests that compare the" \
         "engine with PyTorch will be skipped." >&2
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        echo "Chromium is not installed; browser tests will be skipped (install the Debian" \
             "packages chromium and chromium-driver to run them)." >&2
    fi
fi
# The app's pinned wheels, for the container's install test, which runs offline.
wheels=".venv/wheelhouse"
stamp="$wheels/.requirements"
if [ "$(cat "$stamp" 2>/dev/null)" != "$(sha256sum < requirements.txt)" ]; then
    .venv/bin/python -m pip download --quiet --disable-pip-version-check \
        -r requirements.txt -d "$wheels"
    sha256sum < requirements.txt > "$stamp"
fi
# Lint (with the security rules that ban eval and exec), format and types, then every test.
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
exec .venv/bin/python -m pytest -m "slow or not slow" "$@"
