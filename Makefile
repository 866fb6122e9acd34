# Agora: `make run` serves the demo, `make test` runs the whole suite. Both create .venv on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Absolute links in emails, chat messages and feeds point at the address `make run` serves, unless set
# (0.0.0.0 listens everywhere but is no address to browse to: the links say 127.0.0.1 then).
AGORA_BASE_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)

# Find a Python >= 3.12: $PYTHON if given, then python3.14..python3.12/python3 on PATH, then pyenv versions.
define FIND_PYTHON
ok() { "$$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }; \
for c in "$$PYTHON" python3.14 python3.13 python3.12 python3 python; do \
  [ -n "$$c" ] || continue; p=$$(command -v "$$c" 2>/dev/null) || continue; ok "$$p" && { echo "$$p"; exit 0; }; \
done; \
if command -v pyenv >/dev/null 2>&1; then \
  root=$$(pyenv root); \
  for v in $$(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])(\.[0-9]+)?$$' | sort -t. -k1,1n -k2,2n -k3,3n -r); do \
    p="$$root/versions/$$v/bin/python3"; ok "$$p" && { echo "$$p"; exit 0; }; \
  done; \
fi; exit 1
endef

.PHONY: help run test lint format clean venv demo-reset bench bench-insights
help:
	@echo "make run    - install, migrate an SQLite database, load demo data, serve http://$(HOST):$(PORT)"
	@echo "make test   - install and run the whole test suite (PostgreSQL/Redis used when reachable)"
	@echo "make lint   - ruff check, ruff format --check, import-linter contracts"
	@echo "make bench  - every benchmark end to end on PostgreSQL (BENCH_SCALE=0.1 for a quick run)"
	@echo "make bench-insights - insights at 200 teams x 2 years: ingest rate vs bulk INSERT, dashboard latency"

$(VENV)/.installed: pyproject.toml
	@py=$$( $(FIND_PYTHON) ) || { \
	  echo "Agora needs Python 3.12 or newer and none was found on PATH or through pyenv." >&2; \
	  echo "Install one (e.g. 'apt-get install python3.12' or 'pyenv install 3.12') or run 'make PYTHON=/path/to/python3.12 ...'." >&2; \
	  exit 1; }; \
	echo "Using $$py ($$($$py --version))"; \
	[ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null || { rm -rf $(VENV); "$$py" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

venv: $(VENV)/.installed

# The demo is development: DEBUG=1 (dev SECRET_KEY, SET ROLE on a trust PostgreSQL). Settings default to off.
run demo-reset: export DEBUG := 1
run: venv
	$(PY) manage.py migrate --noinput -v 0
	@# The demo's own history (releases, status updates) notifies people too: keep those emails out of the
	@# terminal. What you do in the running demo prints its emails there (EMAIL_URL unset: console).
	EMAIL_URL=$${EMAIL_URL:-locmem://} $(PY) manage.py seed_demo
	@echo ""
	@echo "  Agora demo: http://$(HOST):$(PORT)/"
	@echo "  Log in as alice (tenant admin, acme), bob (platform maintainer, acme), carol (developer, acme),"
	@echo "  vera (viewer, acme), gina (admin, globex) or sam (member of both tenants)."
	@echo "  Every demo password is: agora-demo"
	@echo ""
	AGORA_BASE_URL="$(AGORA_BASE_URL)" $(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	$(PY) -m tests.suite $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	@# Security linter: no medium or higher finding; each `# nosec` says on its line why the code is safe.
	$(VENV)/bin/bandit -q -r portal catalog requests_app --severity-level medium

# Its own database, recreated on every run (never DATABASE_URL's); BENCH_TEAMS, BENCH_WEEKS, BENCH_SAMPLE, ...
BENCH_INSIGHTS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/agora_bench_insights
bench-insights: venv
	DATABASE_URL="$(BENCH_INSIGHTS_DATABASE_URL)" DEBUG=1 $(PY) bench/insights.py

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks on PostgreSQL (BENCH_PG, default postgres://postgres@127.0.0.1:5432); each creates and drops its
# own agora_bench_* databases and prints ratios, never pass/fail. BENCH_SCALE scales the data sizes.
BENCH_SCALE ?= 1
bench: venv
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	BENCH_SCALE=$(BENCH_SCALE) $(PY) bench/catalog.py
	BENCH_SCALE=$(BENCH_SCALE) $(PY) bench/board.py
	BENCH_SCALE=$(BENCH_SCALE) $(PY) bench/votes.py
	$(PY) bench/pageweight.py
	DEBUG=1 DATABASE_URL=$${BENCH_PG:-postgres://postgres@127.0.0.1:5432}/agora_bench_fanout \
	  $(PY) bench/fanout.py --subscribers $$($(PY) -c "print(max(1000, round(100000 * $(BENCH_SCALE))))")
	$(PY) -c "from bench import common; common.drop_database('agora_bench_fanout')"
	@# Insights: 200 teams x 2 years (BENCH_SCALE scales the teams); `make bench-insights` also re-checks
	@# the derived fields against a second full recompute (BENCH_VERIFY=1).
	DEBUG=1 DATABASE_URL=$${BENCH_PG:-postgres://postgres@127.0.0.1:5432}/agora_bench_insights BENCH_VERIFY=0 \
	  BENCH_TEAMS=$$($(PY) -c "print(max(20, round(200 * $(BENCH_SCALE))))") $(PY) bench/insights.py
	$(PY) -c "from bench import common; common.drop_database('agora_bench_insights')"

demo-reset: venv
	EMAIL_URL=$${EMAIL_URL:-locmem://} $(PY) manage.py seed_demo --reset

clean:
	rm -rf $(VENV) agora.sqlite3 staticfiles .pytest_cache .ruff_cache
