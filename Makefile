# OMS developer entry points. `make` alone lists them.
#
#   make demo [PORT=8001]     SQLite + embedded Celery broker, no servers needed
#   make test [ARGS="..."]    ruff, migration check, pytest against PostgreSQL + Redis
#
# Python: Django 6 needs 3.12+; scripts/find-python picks one (override with PYTHON=...).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000
ARGS   ?=

# Is the existing virtualenv usable (runs, and is Python >= 3.12)? If not, force a rebuild.
VENV_OK := $(shell $(VPY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && echo yes)

# Test environment, exported to every `make test` step; each value can be overridden from the
# caller's environment (or the make command line).
TEST_DATABASE_URL  := $(or $(DATABASE_URL),postgres://postgres:postgres@127.0.0.1:5432/oms)
TEST_REDIS_URL     := $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
TEST_SECRET_KEY    := $(or $(SECRET_KEY),insecure-test-key-not-for-production-0123456789abcdef)
TEST_DEBUG         := $(or $(DEBUG),0)
TEST_ALLOWED_HOSTS := $(or $(ALLOWED_HOSTS),localhost,127.0.0.1,testserver)
test: export DATABASE_URL  := $(TEST_DATABASE_URL)
test: export REDIS_URL     := $(TEST_REDIS_URL)
test: export SECRET_KEY    := $(TEST_SECRET_KEY)
test: export DEBUG         := $(TEST_DEBUG)
test: export ALLOWED_HOSTS := $(TEST_ALLOWED_HOSTS)
# Tests talk plain HTTP to the test client and a local live server; production keeps these on.
test: export SECURE_SSL_REDIRECT := 0
test: export SESSION_COOKIE_SECURE := 0
test: export CSRF_COOKIE_SECURE := 0
test: export STATIC_MANIFEST := 0

# The demo and translation commands must not pick up a developer's database/redis settings.
DEMO_ENV = env -u DATABASE_URL -u REDIS_URL DEBUG=1


.PHONY: help install demo test bench bench-reserve bench-stock bench-orders bench-intake bench-picking bench-billing lint fmt messages clean distclean FORCE

help: ## Show this help
	@echo "OMS make targets:"
	@grep -hE '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}'
	@echo
	@echo "Variables: PYTHON=/path/to/python3.12  PORT=8000 (demo)  ARGS='tests/... -k name' (test)"

install: $(STAMP) ## Create .venv and install the project with dev extras

# Re-runs when pyproject.toml changes, or when .venv is missing/broken/older than Python 3.12.
$(STAMP): pyproject.toml $(if $(VENV_OK),,FORCE)
	@if ! $(VPY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
		py=$$(PYTHON='$(PYTHON)' scripts/find-python); \
		if [ -e $(VENV) ]; then echo "==> $(VENV) is missing Python 3.12+ or broken, recreating it"; fi; \
		rm -rf $(VENV); \
		echo "==> creating $(VENV) with $$py"; \
		"$$py" -m venv $(VENV); \
	fi
	@echo "==> installing the project into $(VENV) (pip install -e \".[dev]\")"
	$(VENV)/bin/pip install --disable-pip-version-check -q -e ".[dev]"
	@touch $@

demo: install ## Demo on SQLite: migrate, seed, Celery worker+beat, panel on port 8000 (PORT=...)
	@scripts/ensure-system-deps demo
	$(DEMO_ENV) $(VPY) manage.py run_demo --port $(PORT)

test: install ## Lint, migration check and the test suite on PostgreSQL + Redis (ARGS=... for pytest)
	@scripts/ensure-system-deps test
	@scripts/ensure-services
	$(VENV)/bin/ruff check .
	$(VPY) manage.py makemigrations --check --dry-run
	@if docker compose version >/dev/null 2>&1; then \
		echo "docker compose config -q"; docker compose config -q; \
	else \
		echo "==> skipping 'docker compose config' (no docker compose plugin here)"; \
	fi
	@echo "$(VPY) -m pytest $(ARGS)"
	@rc=0; $(VPY) -m pytest $(ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then \
		echo; \
		echo "ERROR: pytest collected no tests (exit code 5) -- that is a failure, not a pass."; \
		echo "       Check tests/ and the paths / -k expression given in ARGS."; \
		exit 1; \
	fi; \
	exit $$rc

# Its own database: the 100k-variant catalogue is built once and kept between runs.
BENCH_STOCK_URL = $(or $(BENCH_DATABASE_URL),postgres://postgres:postgres@127.0.0.1:5432/oms_bench_stock)

bench: install ## Benchmarks against a scratch PostgreSQL database (results: bench/RESULTS.md)
	@scripts/ensure-services
	DATABASE_URL=$(or $(BENCH_DATABASE_URL),postgres://postgres:postgres@127.0.0.1:5432/oms_bench) \
		SECRET_KEY=bench DEBUG=0 REDIS_URL=$(TEST_REDIS_URL) $(VPY) bench/pagination.py

bench-reserve: install ## Hot-SKU reservation benchmark (1-64 concurrent PostgreSQL clients)
	@scripts/ensure-services
	DATABASE_URL=$(or $(BENCH_DATABASE_URL),postgres://postgres:postgres@127.0.0.1:5432/oms_bench) \
		SECRET_KEY=bench DEBUG=0 REDIS_URL=redis://127.0.0.1:6379/15 $(VPY) bench/reserve_hot_sku.py
	redis-cli -n 15 flushdb >/dev/null 2>&1 || true

bench-stock: install ## Stock level list with 100,000 variants x 3 warehouses: server time per page
	@DATABASE_URL=$(BENCH_STOCK_URL) REDIS_URL=redis://127.0.0.1:6379/15 scripts/ensure-services
	DATABASE_URL=$(BENCH_STOCK_URL) SECRET_KEY=bench DEBUG=0 REDIS_URL=redis://127.0.0.1:6379/15 \
		$(VPY) -W ignore bench/stock_list.py

# Its own database: the demo shop plus a million bulk-loaded orders, built once and kept between runs.
BENCH_ORDERS_URL = $(or $(BENCH_DATABASE_URL),postgres://postgres:postgres@127.0.0.1:5432/oms_bench_orders)

bench-orders: install ## Order list and order page with 1,000,000 orders: server time per filter
	@DATABASE_URL=$(BENCH_ORDERS_URL) REDIS_URL=redis://127.0.0.1:6379/15 scripts/ensure-services
	DATABASE_URL=$(BENCH_ORDERS_URL) SECRET_KEY=bench DEBUG=0 REDIS_URL=redis://127.0.0.1:6379/15 \
		$(VPY) -W ignore bench/order_pages.py

# A database created afresh on every run (dropped first); gunicorn on BENCH_PORT.
BENCH_INTAKE_URL = $(or $(BENCH_DATABASE_URL),postgres://postgres:postgres@127.0.0.1:5432/oms_bench_intake)
BENCH_PORT ?= 8101

bench-intake: install ## POST /api/v1/orders: 16 clients for 30 s against gunicorn (2 workers)
	@DATABASE_URL=$(BENCH_INTAKE_URL) REDIS_URL=redis://127.0.0.1:6379/15 scripts/ensure-services
	DATABASE_URL=$(BENCH_INTAKE_URL) SECRET_KEY=bench DEBUG=0 REDIS_URL=redis://127.0.0.1:6379/15 \
		$(VPY) -W ignore bench/api_order_intake.py --port $(BENCH_PORT)
	redis-cli -n 15 flushdb >/dev/null 2>&1 || true

# A database created afresh on every run (dropped first).
BENCH_PICKING_URL = $(or $(BENCH_DATABASE_URL),postgres://postgres:postgres@127.0.0.1:5432/oms_bench_picking)

bench-picking: install ## A wave of 500 orders into pick lists, and the picking screen's scan round trip
	@DATABASE_URL=$(BENCH_PICKING_URL) REDIS_URL=redis://127.0.0.1:6379/15 scripts/ensure-services
	DATABASE_URL=$(BENCH_PICKING_URL) SECRET_KEY=bench DEBUG=0 REDIS_URL=redis://127.0.0.1:6379/15 \
		$(VPY) -W ignore bench/fulfillment_picking.py
	redis-cli -n 15 flushdb >/dev/null 2>&1 || true

# Databases created afresh on every run (dropped first).
BENCH_BILLING_URL = $(or $(BENCH_DATABASE_URL),postgres://postgres:postgres@127.0.0.1:5432/oms_bench_billing)
BENCH_BILLING_PDF_URL = $(or $(BENCH_DATABASE_URL),postgres://postgres:postgres@127.0.0.1:5432/oms_bench_billing_pdf)

bench-billing: install ## 1,000 invoices from 8 concurrent workers; invoice PDF render time and memory
	@DATABASE_URL=$(BENCH_BILLING_URL) REDIS_URL=redis://127.0.0.1:6379/15 scripts/ensure-services
	DATABASE_URL=$(BENCH_BILLING_URL) SECRET_KEY=bench DEBUG=0 REDIS_URL=redis://127.0.0.1:6379/15 \
		$(VPY) -W ignore bench/billing_issue.py
	DATABASE_URL=$(BENCH_BILLING_PDF_URL) SECRET_KEY=bench DEBUG=0 REDIS_URL=redis://127.0.0.1:6379/15 \
		$(VPY) -W ignore bench/billing_pdf.py
	redis-cli -n 15 flushdb >/dev/null 2>&1 || true

lint: install ## ruff check + ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install ## ruff format + ruff check --fix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: install ## Update locale/tr .po files and compile them
	@scripts/ensure-system-deps demo
	$(DEMO_ENV) $(VPY) manage.py makemessages -l tr --no-obsolete --ignore=.venv --ignore=var --ignore=staticfiles --ignore=tests --ignore=bench
	$(DEMO_ENV) $(VPY) manage.py compilemessages --ignore=.venv

clean: ## Remove var/ (demo database, media, broker) and caches
	rm -rf var .pytest_cache .ruff_cache staticfiles build dist .coverage htmlcov *.egg-info
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean ## clean, and remove .venv too
	rm -rf $(VENV)

FORCE:
