# The two commands a person needs: `make serve` and `make test`.
PY ?= python3
# make soak SOAK_MINUTES=N: how long the soak runs.
SOAK_MINUTES ?= 10
# make serve PORT=N: the port `make serve` listens on (127.0.0.1 only).
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: install install-test serve test lint bench soak clean

# pip runs quietly (pages of output otherwise): each step says first what it is doing.
$(BIN)/python:
	@echo "make: creating the virtual environment $(VENV) with $(PY)"
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "make: installing imgbackup and its dependencies into $(VENV) (a minute or so the first time)"
	$(BIN)/pip install --quiet -e '.[postgres,s3]'
	touch $@

$(TEST_STAMP): $(STAMP) pyproject.toml
	@echo "make: installing what the tests need into $(VENV) (a few minutes the first time)"
	$(BIN)/pip install --quiet -e '.[postgres,s3,test]'
	touch $@

$(BENCH_STAMP): $(TEST_STAMP) pyproject.toml
	@echo "make: installing what the benchmarks need into $(VENV)"
	$(BIN)/pip install --quiet -e '.[postgres,s3,test,bench]'
	touch $@

install: $(STAMP)

install-test: $(TEST_STAMP)

serve: install
	$(BIN)/imgbackup serve --port $(PORT)

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
