# Sessionator: `make run` serves, `make test` tests. Both set up .venv first.
.DEFAULT_GOAL := help
.PHONY: help install system-tools run test schemathesis lint format bench screenshots clean

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The pinned openapi-typescript and tsc of tests/clients/test_openapi_typescript.py.
NODE_TOOLS := clients/typescript/node_modules/.package-lock.json

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): setup.cfg pyproject.toml clients/python/setup.cfg clients/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	$(BIN)/python -m pip install --quiet -e clients/python
	touch $(STAMP)

$(NODE_TOOLS): clients/typescript/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix clients/typescript --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: clients/typescript not installed (its test skips; CI installs Node)"; \
	fi

install: $(STAMP) $(NODE_TOOLS) ## create .venv; install the service, its client, tests and tools

# The console's browser tests drive Debian's headless Chromium (chromium,
# chromium-driver); the TypeScript test runs tools from npm (nodejs, npm). As
# root on Debian they are installed when missing; otherwise this says what to
# install (the browser tests then fail, and the TypeScript test skips, saying so).
system-tools: ## install chromium, chromium-driver, nodejs and npm from Debian if missing (as root)
	@missing=""; \
	{ [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || missing="chromium chromium-driver"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing from Debian for the browser and TypeScript tests:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "missing for the browser and TypeScript tests: apt-get install$$missing"; \
	fi

run: $(STAMP) ## serve on :8000 ($PORT); embedded store under var/ unless $REDIS_URL is set
	SESSIONATOR_EXIT_WITH_PARENT=1 $(BIN)/sessionator run

test: $(STAMP) system-tools $(NODE_TOOLS) ## run the whole suite against private servers it starts itself
	$(BIN)/pytest $(PYTEST_ARGS)

# The service to check, e.g. `make run` in another terminal; with a tenants file,
# export SESSIONATOR_KEY (a key with every grant). Settings: schemathesis.toml.
SCHEMATHESIS_URL ?= http://127.0.0.1:8000

schemathesis: $(STAMP) ## check a running service against its OpenAPI document ($SCHEMATHESIS_URL)
	$(BIN)/st run $(SCHEMATHESIS_URL)/openapi.json --checks all $${SESSIONATOR_KEY:+-H "Authorization: Bearer $$SESSIONATOR_KEY"}

PYTHON_SOURCES := app schema_registry clients/python tests bench wsgi.py

lint: $(STAMP) ## ruff, mypy, and the import contracts of setup.cfg (import-linter)
	$(BIN)/ruff check $(PYTHON_SOURCES)
	$(BIN)/ruff format --check $(PYTHON_SOURCES)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: $(STAMP) ## apply ruff's formatting and import order
	$(BIN)/ruff check --fix --select I $(PYTHON_SOURCES)
	$(BIN)/ruff format $(PYTHON_SOURCES)

bench: $(STAMP) ## load-test the service against the minimal-Flask floor (needs wrk)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

screenshots: $(STAMP) ## retake docs/console/*.png with the browser tests (needs chromium)
	SESSIONATOR_SCREENSHOTS=docs/console $(BIN)/pytest tests/app/test_console_browser.py -q

clean: ## remove the venv, the embedded store's data and caches
	rm -rf $(VENV) var build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis bench/results
	rm -rf clients/python/build clients/python/*.egg-info clients/typescript/node_modules
