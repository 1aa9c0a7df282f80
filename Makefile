# Two commands do everything on a fresh clone (see README):
#   make demo   - set up and open the web playground: every bot in a browser page at http://127.0.0.1:8080,
#                 edited live (no token, no REGOS, no network; PORT=8081 for another port)
#   make test   - set up and run the whole test suite (what CI runs)
# Every tool runs as `$(BIN)/python -m TOOL`: a script's shebang may name another checkout's interpreter.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/orders.yaml
PORT ?= 8080

.PHONY: setup system demo shell test lint check graph clean bench

# Creates .venv when missing or broken; installs only when pyproject.toml changed (a stamp holds its hash).
setup:
	@PY=$(PY) bash tools/ensure-venv.sh

# Servers and programs the tests use for real: redis-server, PostgreSQL, Graphviz, Chromium. Installed when missing.
system:
	@bash tools/install-system-deps.sh

demo: setup
	$(BIN)/python -m engine playground --port $(PORT)

# The terminal chat with one bot (SCENARIO=scenarios/vin_report.yaml for the VIN desk).
shell: setup
	$(BIN)/python -m engine shell $(SCENARIO)

check: setup
	$(BIN)/python -m engine check scenarios/

lint: setup
	$(BIN)/python -m ruff check engine actions tests bench
	$(BIN)/python -m mypy

test: setup system
	$(BIN)/python -m ruff check engine actions tests bench
	$(BIN)/python -m mypy
	$(BIN)/python -m engine check scenarios/
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --durations=15

# Figures next to their targets, engine against the hand-written bot in bench/ (about 5 minutes;
# not part of test). QUICK=1: smaller crowds.
bench: setup system
	$(BIN)/python -m bench.run $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
