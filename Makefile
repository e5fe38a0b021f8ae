# Sessionator: `make run` serves, `make test` tests. Both set up .venv first.
.DEFAULT_GOAL := help
.PHONY: help install run test schemathesis lint format bench screenshots clean

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the service, its tests and tools

run: $(STAMP) ## serve on :8000 ($$PORT); embedded store under var/ unless $$REDIS_URL is set
	SESSIONATOR_EXIT_WITH_PARENT=1 $(BIN)/sessionator run

test: $(STAMP) ## run the whole suite against private servers it starts itself
	$(BIN)/pytest $(PYTEST_ARGS)

# The service to check, e.g. `make run` in another terminal; with a tenants file,
# export SESSIONATOR_KEY (a key with every grant). Settings: schemathesis.toml.
SCHEMATHESIS_URL ?= http://127.0.0.1:8000

schemathesis: $(STAMP) ## check a running service against its OpenAPI document ($$SCHEMATHESIS_URL)
	$(BIN)/st run $(SCHEMATHESIS_URL)/openapi.json --checks all $${SESSIONATOR_KEY:+-H "Authorization: Bearer $$SESSIONATOR_KEY"}

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check app schema_registry tests bench wsgi.py
	$(BIN)/ruff format --check app schema_registry tests bench wsgi.py
	$(BIN)/mypy

format: $(STAMP) ## apply ruff's formatting and import order
	$(BIN)/ruff check --fix --select I app schema_registry tests bench wsgi.py
	$(BIN)/ruff format app schema_registry tests bench wsgi.py

bench: $(STAMP) ## load-test the service against the minimal-Flask floor (needs wrk)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

screenshots: $(STAMP) ## retake docs/console/*.png with the browser tests (needs chromium)
	SESSIONATOR_SCREENSHOTS=docs/console $(BIN)/pytest tests/app/test_console_browser.py -q

clean: ## remove the venv, the embedded store's data and caches
	rm -rf $(VENV) var build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis bench/results
