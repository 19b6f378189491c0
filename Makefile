# iocmap — two commands: `make run` serves the app, `make test` runs every test.
SHELL := /bin/bash
VENV  := .venv/bin

.PHONY: run test setup setup-test lint typecheck imports unit bench clean db-stop

run: setup
	$(VENV)/iocmap serve

setup:
	@bash scripts/setup.sh run

setup-test:
	@bash scripts/setup.sh test

test: setup-test lint typecheck imports unit

lint:
	$(VENV)/ruff check .

typecheck:
	$(VENV)/mypy

imports:
	$(VENV)/lint-imports

unit:
	$(VENV)/pytest

db-stop:
	$(VENV)/iocmap db stop

# Refresh constraints.txt after changing pinned dependencies in pyproject.toml.
lock:
	$(VENV)/pip freeze --exclude-editable | grep -v '^iocmap' > constraints.txt

clean:
	-$(VENV)/iocmap db stop
	rm -rf .venv web/node_modules .iocmap
