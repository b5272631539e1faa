#!/usr/bin/env bash
# Set up (a virtual environment in .venv with the pinned requirements) and start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements.txt
exec .venv/bin/streamlit run app.py "$@"
