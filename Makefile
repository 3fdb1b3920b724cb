# Care Passport core. `make run` and `make test` work on a fresh clone: they build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install run demo test unit integration lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

RUN_STORE ?= sqlite:///./.carepassport/carepassport.db

run: $(STAMP) ## the main job: the HTTP API and scheduler on a local SQLite store, demo data and tokens
	$(BIN)/carepassport --store $(RUN_STORE) serve --demo

demo: $(STAMP) ## the narrated lifecycle on a fresh in-memory store
	$(BIN)/carepassport --store memory:// demo

test: $(STAMP) ## the whole suite: unit and integration
	$(BIN)/pytest $(PYTEST_ARGS)

unit: $(STAMP)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: $(STAMP)
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	mkdir -p .lint && ln -sfn ../src .lint/carepassport
	$(BIN)/mypy -p carepassport
	$(BIN)/lint-imports

bench: $(STAMP) ## the benchmarks (issue 7): bench/results.json and a table; BENCH_SCALE=0.01 for a smoke run
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
