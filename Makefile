# The two commands a newcomer needs: `make demo` and `make test`. Both create the virtual
# environment on first use (Python >= 3.10; no Docker needed).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# `make bench` measures in its own environment, so that the test environment stays as it is.
BENCH_VENV ?= .venv-bench

.PHONY: setup peers demo test test-fast lint bench bench-saml readme

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
# its lock file), for the SAML identity provider (pysaml2) Debian's xmlsec1 program, and a real
# Richie 3.5.1 with its own dependencies (django-cms...) in a virtual environment of its own,
# its template database migrated here once (the tests copy it: migrating takes ~30 s).
PEERS := tests/e2e/oidc_provider/node_modules/.installed
RICHIE_SITE := tests/e2e/richie_site
RICHIE_VENV := $(RICHIE_SITE)/.venv/.installed
RICHIE_DB := $(RICHIE_SITE)/template.sqlite3
peers: $(PEERS) $(RICHIE_DB)

$(RICHIE_VENV): $(RICHIE_SITE)/requirements.txt
	$(PYTHON) -m venv $(RICHIE_SITE)/.venv
	$(RICHIE_SITE)/.venv/bin/python -m pip install --quiet --upgrade pip
	$(RICHIE_SITE)/.venv/bin/python -m pip install --quiet -r $(RICHIE_SITE)/requirements.txt
	touch $@

$(RICHIE_DB): $(RICHIE_VENV) $(RICHIE_SITE)/lmsbridge_richie_site/settings.py
	rm -f $@ $@.tmp
	cd $(RICHIE_SITE) && RICHIE_SITE_DB=template.sqlite3.tmp .venv/bin/python -m django migrate \
		--noinput --verbosity 0 --settings lmsbridge_richie_site.settings
	mv $@.tmp $@

$(PEERS): tests/e2e/oidc_provider/package-lock.json
	npm ci --prefix tests/e2e/oidc_provider --no-audit --no-fund --silent
	@command -v xmlsec1 >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends xmlsec1 \
		>/dev/null; } || { echo "SAML e2e tests need xmlsec1: sudo apt-get install xmlsec1"; exit 1; }
	touch $@

# One worker per core (`make test WORKERS=0` runs in one process); the e2e tests run one after
# the other on a single worker, the rest spread over the others.
# PYTEST_ARGS adds pytest options (`make test PYTEST_ARGS=--durations=25`).
WORKERS ?= auto
PYTEST_ARGS ?=
test: setup peers
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The pure core, in seconds: no Tutor, no Django, no servers.
test-fast: setup
	$(BIN)/python -m pytest tests/core -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The generated tables of docs/: keys, trust defaults (from the key catalog) and messages
# (from the plugin's source).
DOC_TABLES := docs/configuration.rst docs/security.rst docs/troubleshooting.rst
readme: setup
	$(BIN)/python -m tutor_lmsbridge.output.key_tables $(DOC_TABLES)

# `tutor config save` is measured with the `tutor` of $(BENCH_VENV): this plugin and, for
# comparison, Tutor's own official plugins tutor-mfe and tutor-discovery at their Tutor 22
# releases. The benchmark's driver (and the init job measures) run in the test environment.
bench: setup $(BENCH_VENV)/.installed bench-saml
	$(BIN)/python benchmarks/run.py --tutor $(BENCH_VENV)/bin/tutor
	$(BIN)/python benchmarks/publish.py

# SAML federations at full size: `check --probe` on generated 10/50/100 MB aggregates against
# a full parse of the same files (benchmarks/README.rst); nothing generated is kept.
bench-saml: setup
	$(BIN)/python benchmarks/saml_federation.py

$(BENCH_VENV)/.installed: setup.py
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e . 'tutor-mfe>=22,<23' 'tutor-discovery>=22,<23'
	touch $@
