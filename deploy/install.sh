#!/bin/sh
# The project's install path for a production image (deploy/Dockerfile runs it; a test runs it too):
#   deploy/install.sh SOURCE VENV
# makes the virtual environment VENV and installs the project from SOURCE into it, not editable,
# with the extras production uses (SQL for the ticket store, QR codes for loyalty cards).
set -eu
source_dir=${1:?usage: deploy/install.sh SOURCE VENV}
venv=${2:?usage: deploy/install.sh SOURCE VENV}
python=${PYTHON:-python3}
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --no-cache-dir --disable-pip-version-check --quiet --upgrade pip
"$venv/bin/python" -m pip install --no-cache-dir --disable-pip-version-check --quiet "$source_dir[sql,qr,archive]"
# a smoke check: the engine imports and its command line answers
"$venv/bin/python" -m engine --help >/dev/null
echo "installed into $venv"
