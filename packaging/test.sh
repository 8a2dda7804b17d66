#!/usr/bin/env bash
# Lint, type-check and run every test: offscreen first, then the UI tests again under Xvfb
# (focus bugs hide offscreen). Run through `make test`, which sets everything up first.
set -euo pipefail
cd "$(dirname "$0")/.."
export SOVA_DATA_DIR="${SOVA_DATA_DIR:-$(mktemp -d)}"   # tests never touch the user's history
.venv/bin/ruff check .
.venv/bin/mypy
QT_QPA_PLATFORM=offscreen .venv/bin/pytest "$@"
if [ -d tests/ui ] && ls tests/ui/test_*.py >/dev/null 2>&1; then
  QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/pytest tests/ui "$@"
fi
