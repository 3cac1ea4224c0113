# Quick start: `make demo` (train both demos) and `make test` (the whole suite).
# Each target bootstraps .venv and installs numpynn with the extras it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Real data lives outside the repo; point NUMPYNN_DATA at it (CI sets ../shared/data).
NUMPYNN_DATA ?= $(abspath ../shared/data)
export NUMPYNN_DATA
export MPLBACKEND := Agg

.PHONY: demo test bench notebook docs venv clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

demo: $(VENV)/.installed
	$(PY) -m numpynn.apps.demo

test: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy numpynn
	$(PY) -m pytest -n 2 -q

# Benchmarks against PyTorch (CPU) and scikit-learn; torch is installed only here, never for the package.
bench: $(VENV)/.installed
	$(PY) -m pip install --quiet torch==2.13.0 threadpoolctl
	$(PY) benchmarks/mlp.py
	$(PY) benchmarks/mnist_accuracy.py
	$(PY) benchmarks/cnn.py
	$(PY) benchmarks/breast_cancer_splits.py --torch
	$(PY) benchmarks/subnormals.py

# The documentation site (site/): docs/ and the API reference generated from the docstrings.
docs: $(VENV)/.installed
	$(VENV)/bin/mkdocs build --strict

notebook: $(VENV)/.installed
	$(PY) scripts/execute_notebook.py notebooks/tour.ipynb

clean:
	rm -rf $(VENV) runs site .pytest_cache
