# The two commands a person needs: `make serve` and `make test`.
PY ?= python3
# make soak SOAK_MINUTES=N: how long the soak runs.
SOAK_MINUTES ?= 10
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: install install-test serve test lint bench soak clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres,s3]'
	touch $@

$(TEST_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[postgres,s3,test]'
	touch $@

$(BENCH_STAMP): $(TEST_STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[postgres,s3,test,bench]'
	touch $@

install: $(STAMP)

install-test: $(TEST_STAMP)

serve: install
	$(BIN)/imgbackup serve

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy

# The suite twice: SQLite + local disk (the embedded default), then PostgreSQL + SeaweedFS S3
# (the scale-out stack), each server a throwaway started by scripts/with-backends.
# The mini program's checks first, so the run closes on pytest's summary line.
test: install-test lint
	tests/miniprogram/run
	IMGBACKUP_DATA_DIR=$$(mktemp -d) $(BIN)/pytest
	IMGBACKUP_DATA_DIR=$$(mktemp -d) $(BIN)/python scripts/with-backends $(BIN)/pytest

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

soak: install-test
	$(BIN)/python -m tests.soak --minutes $(SOAK_MINUTES)

clean:
	rm -rf $(VENV) *.egg-info .mypy_cache .ruff_cache .pytest_cache
