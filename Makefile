# Candor — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.13 2>/dev/null || ls $(HOME)/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | head -n 1)
VENV := .venv
PY := $(VENV)/bin/python
UV_ENV := UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=$(VENV)

.PHONY: help install syslibs run test lint format services screenshots bench

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(VENV)/.synced: pyproject.toml uv.lock
	@test -n "$(PYTHON)" || { echo "Python 3.13 is required (pyenv install 3.13.0, or set PYTHON=...)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(UV_ENV) $(VENV)/bin/uv sync --frozen --python $(PY)
	@touch $@

install: $(VENV)/.synced syslibs  ## Create the virtual environment from uv.lock

syslibs:  ## Make sure the system libraries PDF reports need (Pango, a font) are there
	@scripts/ensure-system-packages.sh

run: install  ## Run Candor with demo data: web, worker and scheduler (SQLite, no broker server)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@scripts/run-all.sh

test: install services  ## Run the whole test suite on real PostgreSQL and Redis
	@scripts/ensure-apt.sh /usr/bin/chromium chromium "The browser tests"
	$(PY) -m pytest -n 2

services:  ## Make sure PostgreSQL and Redis are up on 127.0.0.1 (start them if stopped)
	@scripts/ensure-services.sh

bench: install services  ## Benchmarks: each scenario beside its baseline, one line each
	@scripts/ensure-apt.sh /usr/bin/wrk wrk "Benchmark P3"
	$(PY) -m bench $(BENCH_ARGS)

lint: install  ## ruff check, ruff format --check, mypy, and no missing migrations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy accounts audiences messaging campaigns config scripts
	$(PY) manage.py makemigrations --check --dry-run

screenshots: install  ## Write docs/screenshots/*.png from a demo instance (port 8031)
	@scripts/ensure-apt.sh /usr/bin/chromium chromium "The browser tests"
	@rm -rf var/screenshots && mkdir -p var/screenshots
	CANDOR_VAR_DIR=var/screenshots $(PY) manage.py migrate --noinput -v0
	CANDOR_VAR_DIR=var/screenshots $(PY) manage.py seed_demo >/dev/null
	@CANDOR_VAR_DIR=var/screenshots CANDOR_PORT=8031 scripts/run-all.sh >var/screenshots/run.log 2>&1 & \
	  run=$$!; for _ in $$(seq 1 60); do curl -sf http://127.0.0.1:8031/health/ >/dev/null && break; sleep 1; done; \
	  $(PY) scripts/screenshots.py http://127.0.0.1:8031 docs/screenshots; status=$$?; \
	  kill -TERM $$run; wait $$run; exit $$status

format: install  ## Fix what ruff can fix
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
