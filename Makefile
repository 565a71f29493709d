# Two promises: `make run` (demo server) and `make test` (lint + tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint install translations messages clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d matchmaker/translations 2>&1 | grep -v "^compiling" || true

# After changing user-facing text: refresh the English catalog, then fill in msgstr.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -o /tmp/matchmaker-messages.pot .
	$(BIN)/pybabel update -i /tmp/matchmaker-messages.pot -d matchmaker/translations -l en --no-fuzzy-matching

run: install
	$(BIN)/matchmaker db upgrade
	$(BIN)/matchmaker seed-demo --if-empty
	$(BIN)/matchmaker demo-accounts
	$(BIN)/matchmaker run --host 127.0.0.1 --port $(PORT)

lint: install
	$(BIN)/ruff check matchmaker tests benchmarks

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python benchmarks/matching.py
	$(BIN)/python benchmarks/allocation.py
	$(BIN)/python benchmarks/volunteers.py
	$(BIN)/python benchmarks/imports.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
