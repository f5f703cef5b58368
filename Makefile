# Two commands: `make run` and `make test`. On a fresh machine with Python (3.11-3.13), git
# and make, they install everything else: uv (pinned below) in .tools/, then .venv with the
# exact versions and hashes in uv.lock.
PYTHON ?= python3
HOST   ?= 127.0.0.1
PORT   ?= 8000
DATA   ?= ./var
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.10
UV     := .tools/bin/uv
# uv installs into the machine's Pythons and never downloads one of its own.
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test lint fmt lock bench browser clean

run: $(VENV)/.run-deps
	@echo "==> Starting Soundshelf on $(HOST):$(PORT), data in $(DATA) (Ctrl-C stops it)"
	$(BIN)/soundshelf serve --demo --host $(HOST) --port $(PORT) --data-dir $(DATA)

# Lint (style, import contracts, types), the lock against pyproject.toml, then the suites on every supported Python
# (scripts/test-pythons.sh says which run where).
test: $(VENV)/.dev-deps browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(UV) lock --check
	@scripts/test-pythons.sh

# Style, then the layers (import contracts in pyproject.toml) and the types.
lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

fmt: $(VENV)/.dev-deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Moves every dependency to its newest release that pyproject.toml allows, for every
# supported Python (uv.lock records a version per Python where they differ, as for PyAV).
lock: $(UV)
	$(UV) lock --upgrade
	@echo "==> uv.lock updated: run 'make test', then commit pyproject.toml and uv.lock together"

bench: $(VENV)/.dev-deps
	@scripts/ensure-bench-tools.sh
	$(BIN)/python bench/run_all.py

# Debian's chromium for the browser tests (installed when missing and we can).
browser:
	@scripts/ensure-browser.sh

$(UV):
	@echo "==> Installing uv $(UV_VERSION) into .tools/ (it installs the locked dependencies)"
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.run-deps: uv.lock pyproject.toml | $(UV)
	@echo "==> Installing Soundshelf's locked dependencies into $(VENV) (the first time takes a minute)"
	$(UV) sync --locked --inexact --python $(PYTHON)
	@touch $@

$(VENV)/.dev-deps: uv.lock pyproject.toml | $(UV)
	@echo "==> Installing Soundshelf and its test tools, locked, into $(VENV) (the first time takes a minute)"
	$(UV) sync --locked --extra dev --python $(PYTHON)
	@touch $@ $(VENV)/.run-deps

clean:
	rm -rf $(VENV) $(VENV)-3.* .tools .pytest_cache .ruff_cache
