# Suqiu: `make run` serves the whole system; `make test` runs the whole suite.
SHELL := /bin/bash
# The first Python 3.11+ on PATH (override with `make PY=/path/to/python3.12 ...`).
PY ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup run test test-sqlite test-postgres bench lint format clean

$(STAMP): pyproject.toml
	@test -n "$(PY)" || { echo "Suqiu needs Python 3.11 or newer on PATH"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)
	@$(BIN)/suqiu compiletranslations >/dev/null

run: setup
	$(BIN)/suqiu run

# SQLite first (the URL blanked: SQLite, and PostgreSQL-only tests skip); then the same suite on
# PostgreSQL when SUQIU_TEST_DATABASE_URL is set.
test: setup lint
	SUQIU_TEST_DATABASE_URL= $(BIN)/pytest
	@if [ -n "$$SUQIU_TEST_DATABASE_URL" ]; then \
	  echo "== PostgreSQL pass ($$SUQIU_TEST_DATABASE_URL) =="; \
	  $(BIN)/pytest -m "not browser"; \
	else echo "SUQIU_TEST_DATABASE_URL not set: PostgreSQL pass skipped (CI runs it)."; fi

test-sqlite: setup
	SUQIU_TEST_DATABASE_URL= $(BIN)/pytest

test-postgres: setup
	SUQIU_TEST_DATABASE_URL=$${SUQIU_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest -m "not browser"

bench: setup
	$(BIN)/python bench/run.py

lint: setup
	$(BIN)/ruff check suqiu bench tests conftest.py
	$(BIN)/ruff format --check suqiu bench tests conftest.py

format: setup
	$(BIN)/ruff format suqiu bench tests conftest.py
	$(BIN)/ruff check --fix suqiu bench tests conftest.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
