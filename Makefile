# medialake: `make demo` shows it working on the embedded defaults, `make test` checks it.
SHELL := /bin/bash
UV = $(shell command -v uv 2>/dev/null || echo python3 -m uv)
export MEDIALAKE_HOME ?= $(CURDIR)/data
export PATH := $(HOME)/.local/bin:$(PATH)

.PHONY: setup setup-tests demo test lint bench clean

setup:
	@scripts/setup.sh

setup-tests:
	@scripts/setup.sh --tests

# The demo's commands cache the bytecode of what they import (even where the shell sets
# PYTHONDONTWRITEBYTECODE) instead of the set-up compiling every dependency first. The
# Prefect server the sync needs starts (its database's migrations) while the sample is
# written and the sync's own modules are compiled; a failed sample stops the demo.
DEMO_ENV = env -u PYTHONDONTWRITEBYTECODE
demo:
	@$(DEMO_ENV) scripts/setup.sh
	@$(DEMO_ENV) $(UV) run medialake server start >/dev/null & \
	 $(DEMO_ENV) $(UV) run python -m cli.warm & \
	 $(DEMO_ENV) $(UV) run medialake sample; status=$$?; wait; exit $$status
	@$(DEMO_ENV) $(UV) run medialake sync --mode full

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy

test: setup-tests lint
	$(UV) run pytest -q

bench: setup
	$(UV) run python -m bench.sync_scan
	$(UV) run python -m bench.upsert
	$(UV) run python -m bench.warehouse

clean:
	rm -rf data .pytest_cache .mypy_cache .ruff_cache bench/.work
