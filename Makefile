# Every target installs what it needs first (idempotent): a fresh clone needs only `make lab` or `make test`.
# `make` alone (or `make help`) lists the targets with what each does: the `## ` comment on its line.
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
VENV7  ?= .venv-ipyw7
STAMP7 := $(VENV7)/.installed


# The pins (numpy 2.4, ...) need Python 3.11+: say so, instead of pip's "no matching distribution".
NEED_PY311 := $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "make: the course environment needs Python 3.11 or newer; $(PYTHON) is " + sys.version.split()[0] + ". Try: make PYTHON=python3.11 ...")'

# An editable install skips pyproject's data-files: link the slideshow's widget shim into the venv (once)
# (why it exists: share/jupyter/labextensions/flowlib-rise-widgets/static/remoteEntry.js).
SHIM := share/jupyter/labextensions/flowlib-rise-widgets
link-shim = mkdir -p $(1)/share/jupyter/labextensions && ln -sfn $(CURDIR)/$(SHIM) $(1)/$(SHIM)
# The same for JupyterLab's settings overrides, which switch off the "Jupyter news" pop-up (and the update check).
LAB_OVERRIDES := share/jupyter/lab/settings/overrides.d/flowlib.json
link-overrides = mkdir -p $(1)/$(dir $(LAB_OVERRIDES)) && ln -sfn $(CURDIR)/$(LAB_OVERRIDES) $(1)/$(LAB_OVERRIDES)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || { $(NEED_PY311) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)  ## create .venv with the pinned course environment
	@test -e $(VENV)/$(SHIM) || $(call link-shim,$(VENV))
	@test -e $(VENV)/$(LAB_OVERRIDES) || $(call link-overrides,$(VENV))

# Colab's widgets: .venv with ipywidgets 7.7.1 instead of 8 (see requirements-ipyw7.txt). A layer over .venv, not
# a second copy of it: a .pth file adds .venv's site-packages (flowlib's editable install included) after
# .venv-ipyw7's own, which holds only requirements-ipyw7.txt's packages, so those shadow .venv's. A full second
# install (torch and all, 1.9 GB) took 12 minutes on the 2-core machine; the layer takes 14 s.
# (pip says it will not uninstall .venv's ipywidgets 8, "outside environment": as intended.)
$(STAMP7): $(STAMP) requirements-ipyw7.txt
	rm -rf $(VENV7)
	$(PYTHON) -m venv $(VENV7)
	base=$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') && \
	layer=$$($(VENV7)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') && \
	echo "import site; site.addsitedir('$$base')" > "$$layer/_course_venv.pth"
	$(VENV7)/bin/python -m pip install -r requirements-ipyw7.txt
	touch $(STAMP7)

setup-ipyw7: $(STAMP7)  ## create .venv-ipyw7, the second test environment (ipywidgets 7.7.1, as on Colab)
	@test -e $(VENV7)/$(SHIM) || $(call link-shim,$(VENV7))
	@test -e $(VENV7)/$(LAB_OVERRIDES) || $(call link-overrides,$(VENV7))

# JupyterLab refuses to start as root (a container, a CI runner) unless told; as anyone else it needs no flag.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

# JupyterLab serves the repository's root (so student-notebooks/ is reachable too) and opens at notebooks/.
lab: setup  ## open the notebooks in JupyterLab (localhost, token on; the whole repository, opened at notebooks/)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks $(ALLOW_ROOT)

# Voilà serves notebook 08 as a page without code (the browser opens it; Ctrl-C stops it). Unlike JupyterLab,
# Voilà starts as root without complaint and has no --allow-root flag (it would refuse the unknown flag).
# scripts/voila_config/voila.py culls closed pages' kernels and leaves out the slides' widget shim; plain
# `voila notebooks/08_playground.ipynb` serves the page too (no executor patch is needed since issue 28).
# The port is fixed (no retries) so that the address printed first is the one served; PLAYGROUND_PORT=... picks another.
PLAYGROUND_PORT ?= 8866
playground: setup  ## open the flow playground (notebook 08) as a web page, served by Voilà (prints its address)
	@echo "The playground: open http://127.0.0.1:$(PLAYGROUND_PORT)/ in a browser (each page load first runs the notebook). Ctrl-C stops it."
	$(BIN)/voila notebooks/08_playground.ipynb --Voila.ip=127.0.0.1 --Voila.port=$(PLAYGROUND_PORT) --Voila.port_retries=0 --theme=light --Voila.config_file_paths=scripts/voila_config

test: setup setup-ipyw7 site-setup  ## the whole suite: lint, unit tests, doctests, strict nbval over every notebook, the website in a browser; then the kernel layer and the playground with ipywidgets 7.7.1
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(foreach t,$(IPYW7_ONLY),--ignore $(t))
	$(MAKE) --no-print-directory test-ipyw7

test-ipyw7: setup-ipyw7  ## with Colab's ipywidgets 7.7.1: every notebook's solved student copy in a kernel with every slider moved, notebook 08 under strict nbval, the headless slider tests and the playground (logic and kernel)
	$(VENV7)/bin/python -m pytest $(IPYW7_ONLY) notebooks/08_playground.ipynb tests/lessons/test_sliders_headless.py \
		tests/lessons/n08_playground tests/notebooks/test_playground_kernel.py --deselect $(IPYW7_SAME)

# Run once, under ipywidgets 7.7.1 only (CI time: each is a full run of every notebook with sliders, ~5 min).
# The kernel layer moves every slider through widget messages, where 7 and 8 differ; under 8 the browser
# layer moves sliders through a real kernel and the headless layer draws every setting, and strict nbval
# runs every notebook. It also runs the solved student copies (tests/notebooks/student_copy.py).
IPYW7_ONLY := tests/notebooks/test_sliders_kernel.py
# Pure training logic, no widget: the same under ipywidgets 7 as in `.venv` (about 40 s), so run once.
IPYW7_SAME := tests/lessons/n08_playground/test_playground.py::test_the_default_run_on_the_checkerboard_does_not_stop_itself

test-fast: setup  ## unit tests, doctests and headless slider tests: no notebooks, kernels, browsers or long training (the `slow` marker)
	$(BIN)/python -m pytest tests flowlib -m "not slow"

# For an assignment: copies without the solutions (cells tagged `solution`: the folded solutions and hints, and the
# notebook's own code that would give an exercise away); exercise cells say "Not solved yet" until solved.
STUDENT_DIR ?= student-notebooks
student-notebooks: setup  ## write the notebooks without their solutions into student-notebooks/ (git-ignored), for an assignment
	$(BIN)/python scripts/strip_solutions.py --out $(STUDENT_DIR)

notebooks: setup  ## re-execute every notebook in full and store its outputs
	$(BIN)/python scripts/run_notebooks.py

stress: setup  ## 03+04, 05+06, 07+08 at once through plain nbclient, 20 rounds each (on copies): stalls and times alone vs together (--executor nbconvert|runner: scripts/stress_notebooks.py)
	$(BIN)/python scripts/stress_notebooks.py --pairs --executor nbclient

links: setup  ## regenerate README's badges and run times and every notebook's Colab cell from pyproject.toml
	$(BIN)/python scripts/sync_links.py

figures: setup  ## regenerate the README's figures in docs/ (trains a small flow: under a minute)
	$(BIN)/python scripts/make_figures.py

# The shipped weights are in git: this is only needed after changing a model or its budget in flowlib/mnist_models.py.
mnist-weights: setup  ## retrain the three MNIST models of notebooks 03 and 04b into flowlib/weights/ (one CPU thread; the shipped run's times are in flowlib/weights/mnist.json)
	$(BIN)/python scripts/train_mnist.py

# The course as a website: Jupyter Book 1 (requirements-site.txt) into .venv, with requirements.txt as
# constraints (it changes none of the course's pins). It needs neither torch nor flowlib: a fresh clone's
# `make site` installs only this.
SITE_STAMP := $(VENV)/.site-installed
$(SITE_STAMP): requirements-site.txt requirements.txt
	test -x $(BIN)/python || { $(NEED_PY311) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -r requirements-site.txt -c requirements.txt
	touch $(SITE_STAMP)

site-setup: $(SITE_STAMP)

site: site-setup  ## build the course as a static website into build/site/html from the committed notebooks (nothing is run)
	$(BIN)/python scripts/build_site.py

lint: setup  ## ruff over the repository, notebooks included
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

help:  ## list the targets and what each does
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([^:]+):.*## (.*)/\1\t\2/' | awk -F'\t' '{printf "  make %-16s %s\n", $$1, $$2}'

.PHONY: help setup setup-ipyw7 lab playground test test-ipyw7 test-fast notebooks stress links figures mnist-weights site site-setup lint student-notebooks bench bench-notebooks
