# The two commands a newcomer needs: `make demo` and `make test`. Both create the virtual
# environment on first use (Python >= 3.10; no Docker needed).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench

setup: $(VENV)/.installed

$(VENV)/.installed: setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# richie's own pins (django-cms...) would replace half of the test environment; the tests
	# only need its signature and routing code, which import nothing else.
	$(BIN)/python -m pip install --quiet --no-deps 'richie==3.5.1'
	# Installed the way the openedx image installs it (its attrs<25 pin conflicts with
	# edx-platform's attrs 25.4, which it does not use).
	$(BIN)/python -m pip install --quiet --no-deps 'social-auth-mitxpro==0.7.1'
	touch $@

demo: setup
	$(BIN)/python -m tutor_lmsbridge.demo

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/run.py
