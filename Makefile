# Two commands do everything on a fresh clone (see README):
#   make demo   - set up and chat with the orders bot in the terminal (no token, no REGOS, no network;
#                 SCENARIO=scenarios/vin_report.yaml for the VIN desk)
#   make test   - set up and run the whole test suite (what CI runs)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/orders.yaml

.PHONY: setup system demo shell test lint check clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,qr,sql]'

# Servers the tests use for real: redis-server and PostgreSQL. Installed when missing.
system:
	@bash tools/install-system-deps.sh

demo shell: setup
	$(BIN)/python -m engine shell $(SCENARIO)

check: setup
	$(BIN)/python -m engine check scenarios/

lint: setup
	$(BIN)/ruff check engine actions tests bench
	$(BIN)/mypy

test: setup system
	$(BIN)/ruff check engine actions tests bench
	$(BIN)/mypy
	$(BIN)/python -m engine check scenarios/
	$(BIN)/python -m pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
