# The two commands a new user runs: `make run` and `make test`. Both set everything up
# first (idempotently: a stamp file records what was installed from which lock).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip's local mirrors print a warning for every package they do not hold; hide only those.
QUIET_PIP = 2>&1 | grep -v "is ignored: it is neither" ; test $${PIPESTATUS[0]} -eq 0

.PHONY: setup run test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing torch (CPU build) first, then the pinned dependencies…"
	@$(BIN)/pip install --quiet torch==2.13.0 $(QUIET_PIP)
	@$(BIN)/pip install --quiet -r requirements.lock $(QUIET_PIP)
	@$(BIN)/pip install --quiet --no-deps -e . $(QUIET_PIP)
	@touch $@

run: setup
	$(BIN)/wirework run flows/hello.json

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: setup
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/embeddings.py

clean:
	rm -rf $(VENV) .wirework
