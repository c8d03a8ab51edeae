# Every target installs what it needs first (idempotent): a fresh clone needs only `make lab` or `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup lab test test-fast notebooks lint bench

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)  ## create .venv with the pinned course environment

lab: setup  ## open the notebooks in JupyterLab (localhost, token on)
	$(BIN)/jupyter lab notebooks/

test: setup  ## the whole suite: lint, unit tests, doctests, strict nbval over every notebook
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

test-fast: setup  ## unit tests only, no notebooks
	$(BIN)/python -m pytest tests -p no:nbval

notebooks: setup  ## re-execute every notebook in full and store its outputs
	$(BIN)/python scripts/run_notebooks.py

lint: setup
	$(BIN)/ruff check .
