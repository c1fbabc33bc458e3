# Two commands on a fresh machine: `make demo` and `make test`. Both are idempotent.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.stamp-run
STAMP_DEV := $(VENV)/.stamp-dev
CHROMIUM := /usr/bin/chromium

.PHONY: demo lint test test-slow install dev browser bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP_RUN): pyproject.toml setup.py evalkit/_kernels/_fast.c | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# torch first, pinned: the CPU wheel lies on disk; an unpinned torch pulls a multi-GB CUDA build.
$(STAMP_DEV): pyproject.toml setup.py evalkit/_kernels/_fast.c | $(BIN)/python
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e ".[st,dev,ray,neural]"
	touch $(STAMP_RUN) $@

install: $(STAMP_RUN)
dev: $(STAMP_DEV)

browser:
	@test -x $(CHROMIUM) || { (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) || echo "chromium not installed: browser tests will skip"; }

demo: $(STAMP_RUN)
	$(BIN)/evalkit score seeds/xi-putin-defense-ties.zh-en.txt \
	  --ref references/xi-putin-defense-ties.ref.en.txt -o reports/xi-putin-defense-ties/

lint: $(STAMP_DEV)
	$(BIN)/ruff check evalkit tests bench
	$(BIN)/mypy

test: $(STAMP_DEV) browser lint
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: $(STAMP_DEV)
	$(BIN)/python -m pytest -q -m slow

bench: $(STAMP_DEV)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) reports/*/ .pytest_cache
