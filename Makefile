# Every target installs what it needs first (idempotent): a fresh clone needs only `make lab` or `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
VENV7  ?= .venv-ipyw7
STAMP7 := $(VENV7)/.installed

.PHONY: setup setup-ipyw7 lab test test-ipyw7 test-fast notebooks stress links figures lint bench bench-notebooks

# The pins (numpy 2.4, ...) need Python 3.11+: say so, instead of pip's "no matching distribution".
NEED_PY311 := $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "make: the course environment needs Python 3.11 or newer; $(PYTHON) is " + sys.version.split()[0] + ". Try: make PYTHON=python3.11 ...")'

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || { $(NEED_PY311) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)  ## create .venv with the pinned course environment

# Colab's widgets: requirements.txt with ipywidgets 7.7.1 instead of 8 (see requirements-ipyw7.txt).
$(STAMP7): requirements.txt requirements-ipyw7.txt pyproject.toml
	test -x $(VENV7)/bin/python || { $(NEED_PY311) && $(PYTHON) -m venv $(VENV7); }
	grep -v -E '^(ipywidgets|playwright|ruff)==' requirements.txt > $(VENV7)/requirements-base.txt
	$(VENV7)/bin/python -m pip install -r $(VENV7)/requirements-base.txt -r requirements-ipyw7.txt
	$(VENV7)/bin/python -m pip install --no-deps -e .
	touch $(STAMP7)

setup-ipyw7: $(STAMP7)  ## create .venv-ipyw7, the second test environment (ipywidgets 7.7.1, as on Colab)

# JupyterLab refuses to start as root (a container, a CI runner) unless told; as anyone else it needs no flag.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup  ## open the notebooks in JupyterLab (localhost, token on)
	$(BIN)/jupyter lab notebooks/ $(ALLOW_ROOT)

test: setup setup-ipyw7  ## the whole suite: lint, unit tests, doctests, strict nbval over every notebook; then again with ipywidgets 7.7.1
	$(BIN)/ruff check .
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-ipyw7

test-ipyw7: setup-ipyw7  ## strict nbval over every notebook and the headless slider tests, with Colab's ipywidgets 7.7.1
	$(VENV7)/bin/python -m pytest notebooks tests/test_sliders_headless.py

test-fast: setup  ## unit tests only, no notebooks
	$(BIN)/python -m pytest tests

notebooks: setup  ## re-execute every notebook in full and store its outputs
	$(BIN)/python scripts/run_notebooks.py

stress: setup  ## 03 and 04 at once, 20 rounds, as `make notebooks` runs them (on copies): stalls and times alone vs together
	$(BIN)/python scripts/stress_notebooks.py

links: setup  ## regenerate README's badges and run times and every notebook's Colab cell from pyproject.toml
	$(BIN)/python scripts/sync_links.py

figures: setup  ## regenerate the README's figures in docs/ (trains a small flow: under a minute)
	$(BIN)/python scripts/make_figures.py

lint: setup
	$(BIN)/ruff check .

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): benchmarks/requirements.txt $(STAMP)
	$(BIN)/python -m pip install -r benchmarks/requirements.txt
	touch $(BENCH_STAMP)

bench: setup $(BENCH_STAMP)  ## flowlib vs zuko and nflows: speed table, then quality table (see benchmarks/README.md)
	$(BIN)/python benchmarks/compare.py
	$(BIN)/python benchmarks/quality.py

bench-notebooks: setup  ## each notebook's full run time, measured on copies (benchmarks/notebook_times.py)
	$(BIN)/python benchmarks/notebook_times.py
