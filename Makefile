# fireline — every target sets itself up; `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FIRELINE_HOME ?= $(CURDIR)/fireline-data

.PHONY: run test quick lint bench smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The runtime install (no dev tools): what a user gets.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# Everything the tests, linters and benchmarks need.
# axe-core (accessibility checks the browser tests inject) comes from the npm registry.
AXE_CORE := axe-core@4.11
$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	command -v npm > /dev/null && npm install --silent --prefix $(VENV)/node $(AXE_CORE) \
		|| echo "npm missing: browser tests will fail their axe-core checks"
	touch $@ $(VENV)/.runtime

# Initialise (idempotent), play the demo SEV1 incident into a new store only, create the admin
# account once (its one-time password is printed), then serve on http://127.0.0.1:8080.
run: $(VENV)/.runtime
	$(BIN)/fireline init
	$(BIN)/fireline demo --if-new
	$(BIN)/fireline user bootstrap --user alice  # the demo's IC becomes the first admin
	$(BIN)/fireline serve

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Installs without dev dependencies into a throwaway venv and runs `fireline --help`.
smoke:
	rm -rf .smoke-venv && $(PYTHON) -m venv .smoke-venv
	.smoke-venv/bin/python -m pip install --quiet .
	.smoke-venv/bin/fireline --help > /dev/null
	rm -rf .smoke-venv
	@echo "smoke: fireline --help works from a runtime-only install"

# One test process per core (pytest-xdist); TEST_WORKERS=1 runs them in one process.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
test: lint
	@test -x /usr/bin/chromium || echo "*** BROWSER TESTS WILL BE SKIPPED: no /usr/bin/chromium (apt-get install -y chromium) ***"
	$(BIN)/pytest -n $(TEST_WORKERS) --cov --cov-report=term --cov-fail-under=90 --durations=25

quick: $(VENV)/.dev
	$(BIN)/pytest -m "not slow" -q

bench: $(VENV)/.dev
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/freeze.py
	$(BIN)/python bench/projections.py
	$(BIN)/python bench/runbook_suggest.py
	$(BIN)/python bench/runbook_lint.py
	$(BIN)/python bench/redaction.py
	$(BIN)/python bench/evidence.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/accounts.py
	$(BIN)/python bench/client.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/notify.py
	$(BIN)/python bench/api_edge.py
	$(BIN)/python bench/api_reads.py
	$(BIN)/python bench/postmortem.py
	$(BIN)/python bench/switches.py
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/metrics.py
	$(BIN)/python bench/status.py

clean:
	rm -rf $(VENV) .smoke-venv fireline-data .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage
