# The two commands of the README:  `make run` (the daemon)  and  `make test` (the test suite).
# Both create .venv and install the project into it on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench demo

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

run: $(BIN)/.installed
	$(BIN)/firealarm run

demo: $(BIN)/.installed
	$(BIN)/firealarm demo

test: $(BIN)/.installed
	bash scripts/test-services
	$(BIN)/ruff check monitor tests bench migrations
	$(BIN)/ruff format --check --quiet monitor tests bench migrations
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python -m bench
