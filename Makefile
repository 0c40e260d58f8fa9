# The README's commands. `make run` and `make test` work on a fresh Debian machine with Python 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs in this many processes (two: the machines it runs on have two cores).
TEST_WORKERS ?= 2

.PHONY: run test install install-test migrate seed ocr lint typecheck imports check bench clean

OCR_PACKAGES := tesseract-ocr tesseract-ocr-srp tesseract-ocr-srp-latn tesseract-ocr-eng

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

# The leak check reads files with Tesseract: installed here where we can (root with apt-get);
# otherwise the one command to run is printed, and files cannot be approved until it has run.
ocr:
	@langs="$$(tesseract --list-langs 2>/dev/null)"; \
	if echo "$$langs" | grep -qx srp && echo "$$langs" | grep -qx srp_latn && echo "$$langs" | grep -qx eng; then \
		:; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(OCR_PACKAGES) >/dev/null; \
	else \
		echo "The leak check needs Tesseract: run  sudo apt-get install -y $(OCR_PACKAGES)"; \
	fi

run: migrate ocr
	$(BIN)/integrity seed-demo --if-empty
	$(BIN)/integrity serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

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
	$(BIN)/python benchmarks/ocr.py
	$(BIN)/python benchmarks/institutions.py

clean:
	rm -rf $(VENV) .pytest_cache
