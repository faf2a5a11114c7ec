# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck importlint unit install clean serve worker messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(MAKE) messages
	touch $(STAMP)

## Compile translation catalogues (.po → .mo) with Babel: no GNU gettext needed
messages:
	$(BIN)/pybabel compile -D django -d src/aftercart/locale

install: $(STAMP)

## Install, migrate, seed the demo store and serve it on http://127.0.0.1:8000
demo: $(STAMP) messages
	AFTERCART_DEBUG=$${AFTERCART_DEBUG:-1} $(BIN)/aftercart demo --serve

## Lint, type-check, check the layer contracts, then run the whole suite
test: $(STAMP) messages lint typecheck importlint
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)

typecheck: $(STAMP)
	$(BIN)/mypy

importlint: $(STAMP)
	cd src && ../$(BIN)/lint-imports --config ../pyproject.toml

serve: $(STAMP)
	$(BIN)/aftercart serve

worker: $(STAMP)
	$(BIN)/aftercart worker

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
