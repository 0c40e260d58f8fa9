# The README's commands. `make run` and `make test` work on a fresh Debian machine with Python 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test migrate seed lint typecheck imports check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/integrity migrate

run: migrate
	$(BIN)/integrity seed-demo --if-empty
	$(BIN)/integrity serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check integrity tests benchmarks
	$(BIN)/ruff format --check integrity tests benchmarks

typecheck: install-test
	$(BIN)/mypy integrity

# LAYOUT.md's import rule: services import downward only, only app.py imports controllers and pages,
# no cycles (the contracts are in pyproject.toml).
imports: install-test
	$(BIN)/lint-imports

# The guards .ci/run runs before the tests.
check: lint typecheck imports

bench: install-test
	$(BIN)/python benchmarks/vault.py
	$(BIN)/python benchmarks/upload.py
	$(BIN)/python benchmarks/custody_verify.py
	$(BIN)/python benchmarks/search.py
	$(BIN)/python benchmarks/public_read.py

clean:
	rm -rf $(VENV) .pytest_cache
