# One place for the commands the README gives. Every target sets up what it needs itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app example_app.app
STAMP := $(VENV)/.installed
PORT ?= 5000
## Extra pytest arguments, e.g. PYTEST_ARGS='-m "not browser"' (which also skips the Chromium check).
PYTEST_ARGS ?=
## Test processes (pytest-xdist): one per core by default; 0 runs the suite in this process.
PYTEST_WORKERS ?= auto

.PHONY: demo test chromium lint bench screenshots translations clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start the example app on SQLite with demo data: http://127.0.0.1:$(PORT)/ (admin / admin).
demo: $(STAMP)
	$(FLASK) aiconvos db upgrade
	$(FLASK) aiconvos seed-demo --conversations 300 --if-empty
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

## Run the whole test suite (PostgreSQL too when AICONVOS_TEST_DATABASE_URL is set).
## Checks for Chromium first, so a machine without it stops at once with the command to run.
test: chromium $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## Debian's Chromium for the browser tests: installed when missing and root, else explained.
chromium:
	@$(if $(findstring not browser,$(PYTEST_ARGS)),true,sh .ci/ensure-chromium)

## Benchmark against a plain Flask-Admin view (bench/RESULTS.md). Generates the database once
## (SQLite in bench/data/, or BENCH_DATABASE_URL=postgresql://...), then times the screens.
BENCH_CONVERSATIONS ?= 1000000
BENCH_DATABASE_URL ?=
BENCH_URL_ARG := $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL))
bench: $(STAMP)
	$(BIN)/python -m bench.generate --conversations $(BENCH_CONVERSATIONS) --reuse $(BENCH_URL_ARG)
	$(BIN)/python -m bench.run --conversations $(BENCH_CONVERSATIONS) $(BENCH_URL_ARG) \
		--json bench/results/latest.json

## Render docs/list.png and docs/timeline.png from demo data in headless Chromium.
screenshots: $(STAMP)
	$(BIN)/python docs/screenshots.py

## Extract every marked string into the catalog template, merge it into the fr/es/de catalogs
## (new strings arrive untranslated) and compile them; the tests fail while one is missing.
TRANSLATIONS := flask_aiconvos/translations
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -k N_ --no-wrap --sort-by-file \
		--project flask-aiconvos --copyright-holder "flask-aiconvos authors" \
		-o $(TRANSLATIONS)/flask_aiconvos.pot .
	$(BIN)/pybabel update -D flask_aiconvos -i $(TRANSLATIONS)/flask_aiconvos.pot \
		-d $(TRANSLATIONS) --no-wrap --ignore-obsolete
	$(BIN)/pybabel compile -D flask_aiconvos -d $(TRANSLATIONS) --statistics

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check flask_aiconvos

clean:
	rm -rf build dist *.egg-info instance .pytest_cache .ruff_cache
