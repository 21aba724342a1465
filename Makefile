# `make run` and `make test` do all the set-up on a fresh machine: each creates .venv and installs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
AXE := tests/.node/node_modules/axe-core/axe.min.js
# The oldest gunicorn of the range pyproject.toml declares: the server tests run beside it too.
OLDEST_GUNICORN := 26.0.0
OLDEST := .venv-gunicorn-oldest
SERVER_TESTS := tests/test_server.py tests/test_hard_inputs.py

.PHONY: run test fuzz bench wrk chromium postgresql clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed

$(OLDEST)/.installed-$(OLDEST_GUNICORN): pyproject.toml
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/pip install --quiet --disable-pip-version-check -e '.[test]' 'gunicorn==$(OLDEST_GUNICORN)'
	touch $@

run: $(VENV)/.installed
	$(BIN)/ats-sandbox serve

test: $(VENV)/.installed-test $(OLDEST)/.installed-$(OLDEST_GUNICORN) wrk chromium postgresql $(AXE)
	$(BIN)/python -m pytest
	$(OLDEST)/bin/python -m pytest -p no:cacheprovider $(SERVER_TESTS)

# The vendors' own OpenAPI files, many examples per operation (make test tries a few).
fuzz: $(VENV)/.installed-test
	SANDBOX_FUZZ_COVERAGE=1 SANDBOX_FUZZ_EXAMPLES=$${SANDBOX_FUZZ_EXAMPLES:-300} $(BIN)/python -m pytest tests/test_fuzz_specs.py

bench: $(VENV)/.installed-test wrk postgresql
	$(BIN)/python bench/run.py

# The benchmark drives the server with wrk (Debian's package); the suite runs it once, small.
wrk:
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

# The dashboard's tests drive Debian's Chromium through Playwright (Playwright's own browser download is not used),
# and check it with axe-core from npm.
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| { echo "chromium is needed: apt-get install chromium" >&2; exit 1; }

# The PostgreSQL tests start a throwaway cluster of their own from Debian's server binaries (tests/postgres.py).
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; } \
		|| { echo "postgresql is needed: apt-get install postgresql" >&2; exit 1; }

$(AXE):
	npm install --silent --no-save --no-audit --no-fund --prefix tests/.node axe-core@4.14.1

clean:
	rm -rf $(VENV) $(OLDEST) .venv-truto .sandbox-data .pytest_cache tests/.node tests/artifacts
