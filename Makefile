# One place for the commands the README gives. Every target sets up what it needs itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app example_app.app
STAMP := $(VENV)/.installed
PORT ?= 5000

.PHONY: demo test lint bench screenshots clean

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
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check flask_aiconvos

clean:
	rm -rf build dist *.egg-info instance .pytest_cache .ruff_cache
