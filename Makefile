# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test test-faults install env migrate demo lint format worker browsers clean

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

# The RxScale stand-in (a real HTTP server on loopback, holding the demo's orders) plays
# RxScale: actions in the UI become PATCHes there, and its webhooks come back. STANDIN=0 runs
# the app in local-only mode instead (nothing is sent). See README "Connecting to RxScale".
STANDIN ?= 1
STANDIN_PORT ?= 8765
STANDIN_KEY ?= standin-demo-key

run: demo
	@echo "Send a signed sample webhook from another terminal:"
	@echo "  $(PY) manage.py rxscale_send pharmacy_order_created --uid po-try-1 --status 'waiting for pharmacy'"
	@echo "Serving on http://$(HOST):$(PORT)/ : log in with a demo user above (Ctrl-C stops)"
	@# A worker beside the server applies deliveries and sends commands to RxScale.
	@if [ "$(STANDIN)" = "1" ]; then \
	  export RXSCALE_API_BASE_URL=http://127.0.0.1:$(STANDIN_PORT) RXSCALE_API_KEY=$(STANDIN_KEY); \
	  $(PY) manage.py rxscale_standin --seed demo --port $(STANDIN_PORT) \
	    --webhook-url http://$(HOST):$(PORT)/webhooks/rxscale & standin=$$!; \
	fi; \
	$(PY) manage.py run_worker & worker=$$!; \
	trap 'kill $$worker $$standin 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# The production setup (scripts/serve.py): gunicorn (WEB_CONCURRENCY processes ×
# GUNICORN_THREADS threads), WORKERS queue workers, persistent connections; refuses DEBUG and
# anything but PostgreSQL. LOCAL_HTTP=1 is for trying it on this machine over plain HTTP: it
# turns the HTTPS-only settings off explicitly (secure cookies, SSL redirect, HSTS) and allows
# 127.0.0.1/localhost unless ALLOWED_HOSTS says otherwise. Never behind a real host name.
LOCAL_HTTP ?= 0
serve: install env
	@if [ "$(LOCAL_HTTP)" = "1" ]; then \
	  export SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false SECURE_SSL_REDIRECT=false \
	    SECURE_HSTS_SECONDS=0 ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost}; \
	fi; \
	exec env HOST=$(HOST) PORT=$(PORT) TASKS_BACKEND=$${TASKS_BACKEND:-workers} $(PY) -m scripts.serve

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
