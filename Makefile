# The two commands a newcomer needs: `make demo` and `make test`. Both create the virtual
# environment on first use (Python >= 3.10; no Docker needed).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup peers demo test test-fast lint bench readme

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

# The real peers the e2e tests start: the certified OpenID Provider (npm oidc-provider, from
# its lock file) and, for the SAML identity provider (pysaml2), Debian's xmlsec1 program.
PEERS := tests/e2e/oidc_provider/node_modules/.installed
peers: $(PEERS)

$(PEERS): tests/e2e/oidc_provider/package-lock.json
	npm ci --prefix tests/e2e/oidc_provider --no-audit --no-fund --silent
	@command -v xmlsec1 >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends xmlsec1 \
		>/dev/null; } || { echo "SAML e2e tests need xmlsec1: sudo apt-get install xmlsec1"; exit 1; }
	touch $@

test: setup peers
	$(BIN)/python -m pytest

# The pure core, in seconds: no Tutor, no Django, no servers.
test-fast: setup
	$(BIN)/python -m pytest tests/core -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

readme: setup
	$(BIN)/python -m tutor_lmsbridge.output.key_tables README.rst

bench: setup
	$(BIN)/python benchmarks/run.py
