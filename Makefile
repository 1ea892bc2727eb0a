# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
# The demo always runs the development setup: SQLite file, tasks in-process, no broker.
DEMO_ENV := env -u DATABASE_URL -u CELERY_BROKER_URL -u REDIS_URL DEBUG=true

.PHONY: demo test lint bench clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	@# A second `make demo` keeps the demo database as it is: loading the agenda file again would
	@# stop on the demo's own herijking (load_agenda never silently undoes the app's revisions).
	@if $(DEMO_ENV) $(PY) manage.py shell -c "import sys; from agenda.models import Institution; sys.exit(0 if Institution.objects.filter(code='ROCVAF').exists() else 1)"; then \
		echo "De bestaande demo in db.sqlite3 blijft staan (een verse demo: make clean && make demo)."; \
	else \
		$(DEMO_ENV) $(PY) manage.py load_agenda agenda/agendas/rocvaf-2019-2022.yaml && \
		$(DEMO_ENV) $(PY) manage.py demo_setup; \
	fi
	@echo ""
	@echo "De site draait op http://127.0.0.1:8000  (stoppen: Ctrl+C)"
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(PY) -m tests.run $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

bench: $(STAMP)
	$(PY) -m bench.run

# The quick pass while developing: SQLite, no browser, no services, the `quick` Hypothesis profile
# (a quarter of the examples). `make test` is the full check; CI runs it with the `thorough` profile.
.PHONY: quick
quick: $(STAMP)
	env -u DATABASE_URL -u CELERY_BROKER_URL -u REDIS_URL -u TEST_REDIS_URL HYPOTHESIS_PROFILE=quick \
		TEST_PASS=sqlite DJANGO_ALLOW_ASYNC_UNSAFE=true \
		$(PY) -m pytest -p no:cacheprovider -m "not integration and not browser" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 var staticfiles artifacts
