# Estaminet — the two commands a new machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install install-test lint types unit bench bench-smoke catalogs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make demo: install, prepare the demo venue (le LAB) and run it on http://127.0.0.1:8000
demo: install
	$(BIN)/estaminet demo --host $(HOST) --port $(PORT)

## make test: install what the tests need, then lint, types and the whole suite
test: install-test lint types unit

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

types:
	$(BIN)/mypy

## make unit: the suite in one process; TEST_WORKERS=2 runs it in two (one per core here), each
## taking whole test files so that a module's server and browser serve all its tests (24 min
## instead of about 42 on a Zen 5; not yet the default: see docs/performance.md, "The suite in
## two processes")
TEST_WORKERS ?= 0
unit:
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

## make bench: the delivery, presence, reconnect-storm, many-rooms, game-table, drawing, voice, stage and several-instances benchmarks, each beside its baselines
## (results in bench/results/, summary in docs/performance.md)
bench: install-test
	$(BIN)/python -m bench.delivery $(BENCH_ARGS)
	$(BIN)/python -m bench.presence
	$(BIN)/python -m bench.reconnect
	$(BIN)/python -m bench.rooms
	$(BIN)/python -m bench.tables
	$(BIN)/python -m bench.drawing
	$(BIN)/python -m bench.voice
	$(BIN)/python -m bench.stage
	$(BIN)/python -m bench.instances

## make bench-smoke: every benchmark with a small N (CI runs this; targets are reported, not asserted)
bench-smoke: install-test
	$(BIN)/python -m bench.delivery --smoke
	$(BIN)/python -m bench.presence --smoke
	$(BIN)/python -m bench.reconnect --smoke
	$(BIN)/python -m bench.rooms --smoke
	$(BIN)/python -m bench.tables --smoke
	$(BIN)/python -m bench.drawing --smoke
	$(BIN)/python -m bench.voice --smoke
	$(BIN)/python -m bench.stage --smoke
	$(BIN)/python -m bench.instances --smoke

## make catalogs: extract messages and update the French and English catalogs
catalogs: install-test
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ -k Nn_:1,2 -o src/estaminet/locale/messages.pot --no-location --sort-output --project Estaminet src/estaminet
	$(BIN)/pybabel update -i src/estaminet/locale/messages.pot -d src/estaminet/locale --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
