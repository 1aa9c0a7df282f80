#!/usr/bin/env bash
# Makes .venv usable and up to date, cheaply when it already is (see README, "Set-up").
# - (Re)creates .venv when it is missing or broken (no working interpreter, no pip, or made in another
#   checkout: a copied or once-tracked venv, whose scripts and editable install point elsewhere).
# - Installs the project (editable, with its extras) only when pyproject.toml changed since the last
#   successful install: the stamp holds pyproject.toml's hash.
# Every tool is then run as `.venv/bin/python -m TOOL`, never through a script's shebang.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
VENV=.venv
BIN=$VENV/bin
STAMP=$VENV/.tgflow-installed
EXTRAS=${EXTRAS:-dev,qr,sql,archive}
# What must import after an install for it to count (tests of this script use a tiny project).
CHECK_IMPORTS=${CHECK_IMPORTS:-engine actions aiogram aiogram_dialog sqlalchemy aiobotocore argon2}

healthy() {
  [ -x "$BIN/python" ] || return 1
  # The interpreter must run and have pip.
  "$BIN/python" -c "import pip" >/dev/null 2>&1 || return 1
  # The venv must have been made in this folder: one copied or once tracked from another checkout runs,
  # but its scripts' shebangs and its editable install point at the other checkout.
  local shebang
  shebang=$(head -n 1 "$BIN/pip" 2>/dev/null || true)
  case "$shebang" in
    "#!$PWD/$VENV/bin/python"*|"#!$(pwd -P)/$VENV/bin/python"*) return 0 ;;
    *) return 1 ;;
  esac
}

if ! healthy; then
  [ -e "$VENV" ] && echo "set-up: $VENV is missing or broken; making it anew" >&2
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi

want="$(sha256sum pyproject.toml | cut -d' ' -f1) $EXTRAS"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [ "$want" != "$have" ]; then
  echo "set-up: installing the project into $VENV (pyproject.toml changed or first run)" >&2
  rm -f "$STAMP"
  if ! "$BIN/python" -m pip install --quiet --disable-pip-version-check -e ".[$EXTRAS]" >"$VENV/pip.log" 2>&1; then
    tail -n 30 "$VENV/pip.log" >&2
    echo "set-up: pip install failed (full log: $VENV/pip.log)" >&2
    exit 1
  fi
  for module in $CHECK_IMPORTS; do
    "$BIN/python" -c "import $module" 2>/dev/null \
      || { echo "set-up: $module does not import after the install (log: $VENV/pip.log)" >&2; exit 1; }
  done
  echo "$want" > "$STAMP"
fi
