# dataflow-dagster: `make demo` and `make test` are the two commands; the rest are helpers.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DATAFLOW_WAREHOUSE ?= $(CURDIR)/data/warehouse/dataflow.duckdb
export DATAFLOW_RAW_DIR ?= $(CURDIR)/data/raw
export DATAFLOW_EXPORT_DIR ?= $(CURDIR)/data/out
LLM_POOL_LIMIT ?= 2
UI_PORT ?= 3000
DEMO_PIPELINE := text_pretrain_filter
DEMO_FILE := web_sample.jsonl

.PHONY: venv demo test ui lint bench instance clean

$(BIN)/dagster: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/dagster

instance: venv
	@mkdir -p $(DAGSTER_HOME)
	@cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	@$(BIN)/dagster instance concurrency set duckdb 1 >/dev/null
	@$(BIN)/dagster instance concurrency set llm $(LLM_POOL_LIMIT) >/dev/null

demo: instance
	@mkdir -p $(DATAFLOW_RAW_DIR)/$(DEMO_PIPELINE)
	cp data/samples/$(DEMO_FILE) $(DATAFLOW_RAW_DIR)/$(DEMO_PIPELINE)/$(DEMO_FILE)
	$(BIN)/python -m dataflow_assets.demo $(DEMO_PIPELINE) $(DEMO_FILE)

test: venv
	$(BIN)/ruff check .
	VIRTUAL_ENV=$(CURDIR)/$(VENV) DAGSTER_HOME=$$(mktemp -d) $(BIN)/dg check defs
	$(BIN)/pytest -q

ui: instance
	@echo "Dagster UI: http://127.0.0.1:$(UI_PORT)  (Ctrl-C stops it)"
	$(BIN)/dagster dev -h 127.0.0.1 -p $(UI_PORT) -w workspace.yaml

lint: venv
	$(BIN)/ruff check .

bench: venv
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) .dagster_home data/warehouse data/out data/raw .pytest_cache .ruff_cache
