# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-faults install env migrate demo lint format worker browsers clean

$(VENV)/.installed: requirements/lock.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/lock.txt
	touch $@

install: $(VENV)/.installed

env:
	@$(PYTHON) scripts/write_env.py
	@mkdir -p var/static

migrate: install env
	$(PY) manage.py migrate --noinput

demo: migrate
	LOG_LEVEL=WARNING $(PY) manage.py load_demo_data

run: demo
	@echo "Send a signed sample webhook from another terminal:"
	@echo "  $(PY) manage.py rxscale_send pharmacy_order_created --uid po-try-1 --status 'waiting for pharmacy'"
	@echo "Serving on http://$(HOST):$(PORT)/ : log in with a demo user above (Ctrl-C stops)"
	@# A worker beside the server retries what failed transiently (inline processing does the rest).
	@$(PY) manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install env
	$(PY) -m pytest $(PYTEST_ARGS)

# Long fault-injection runs (worker kills, terminated connections); need PostgreSQL.
test-faults: install env
	$(PY) -m pytest -m faults $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

worker: migrate
	$(PY) manage.py run_worker

# Performance harness (scripts/bench): production setup on the local PostgreSQL, in its own
# database `pharmacy_bench`; prints PASS/FAIL per target, writes var/bench/latest.json.
bench: install
	$(PY) -m scripts.bench $(BENCH_ARGS)

# Tiny sizes, under two minutes (CI): fails on correctness only, never on timing.
bench-smoke: install
	$(PY) -m scripts.bench --smoke $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
