# Quick start: `make run` (set up, migrate, seed the demo once, serve) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-fast lint coverage-core scheduler bench clean-db

$(BIN)/.installed: requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.dev-installed: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

instance/demo-password: | $(BIN)/.installed
	mkdir -p instance
	$(FLASK) db upgrade
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(12))" > $@.tmp
	$(FLASK) seed-demo --password "$$(cat $@.tmp)" > /dev/null
	mv $@.tmp $@

run: $(BIN)/.installed instance/demo-password
	$(FLASK) db upgrade
	$(FLASK) refresh-status --missing
	@echo ""
	@echo "Demo logins (synthetic data only), password: $$(cat instance/demo-password)"
	@echo "  therapist1@demo.local ... therapist4@demo.local, supervisor@demo.local, admin@demo.local"
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	@echo ""
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(BIN)/.dev-installed
	$(BIN)/pytest

# The development loop: everything but the browser tests and those marked slow.
test-fast: $(BIN)/.dev-installed
	$(BIN)/pytest -q -m "not browser and not slow"

lint: $(BIN)/.dev-installed
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/mypy outcome_monitor

# The statistics core must be fully covered by its own tests (tests/core), branches included.
coverage-core: $(BIN)/.dev-installed
	$(BIN)/pytest -q tests/core --cov=outcome_monitor/core --cov-branch \
		--cov-report=term-missing:skip-covered --cov-fail-under=100

scheduler: $(BIN)/.installed
	$(FLASK) scheduler run

bench: $(BIN)/.dev-installed
	$(BIN)/python bench/bench_alerts.py
	$(BIN)/python bench/bench_ruptures.py

# The pages at a service's size under gunicorn (issue 12; docs/performance.md). SCALE=1.0 is the
# issue's size (about 8 minutes; 20 with PG=postgresql://..., which also measures PostgreSQL).
SCALE ?= 0.1
bench-pages: $(BIN)/.dev-installed
	$(BIN)/python bench/bench_pages.py --scale $(SCALE) $(if $(PG),--database-url $(PG))

clean-db:
	rm -f instance/outcome_monitor.db instance/demo-password
