# deskwatch: two commands do all set-up on a fresh machine — `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install bench bench-smoke lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## The main job, offline: replay bundled sample sites on 127.0.0.1, crawl, extract, store (SQLite), alert, digest.
demo: $(STAMP)
	$(BIN)/deskwatch demo

## The test suite (PostgreSQL and Redis tests skip when those servers are not running).
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/extract.py --docs 200
	$(BIN)/python bench/search.py --docs 20000
	$(BIN)/python bench/ingest.py --pages 300

## CI's smoke test of the benchmarks: each runs on a small load and prints its JSON line (figures not judged).
bench-smoke: $(STAMP)
	$(BIN)/python bench/search.py --docs 20000 --runs 1
	$(BIN)/python bench/search.py --docs 20000 --runs 1 --db postgresql+psycopg://postgres@127.0.0.1:5432/test --scratch-db
	$(BIN)/python bench/ingest.py --pages 100 --repeat 1
	$(BIN)/python bench/extract.py --docs 20

## The gates: ruff and mypy (strict on nlp/ and storage/); any finding fails.
lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
