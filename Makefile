# The README's two commands: `make run` (install once, then chat with the pizzeria) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Installed once per version of the dependency files: the stamp is named after their hash.
DEPS_HASH := $(shell cat pyproject.toml requirements.lock | $(PY) -c "import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])")
STAMP := $(VENV)/.installed-$(DEPS_HASH)

# No start-up prompts or banners: LiteLLM's bundled price map (no fetch, ~7 s saved), no ADK experimental warnings.
export LITELLM_LOCAL_MODEL_COST_MAP ?= True
export ADK_SUPPRESS_EXPERIMENTAL_FEATURE_WARNINGS ?= true

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python
	@echo "Installing the pinned dependencies into $(VENV) (first time: a few minutes; later runs skip this)..."
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -c requirements.lock -e ".[dev]"
	$(BIN)/python -m tools.prepare  # embedder, shop catalog seeded and indexed, ADK's telemetry question answered
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# Main job: the pizzeria agent in the terminal. The pre-flight check validates the settings,
# checks the model server (pulling an Ollama model it lacks) and names the ways out when there is none.
# LLM_MODEL=local (environment, command line or .env): llama.cpp's server with a small model, built and
# fetched once (eval.real), started for the chat and stopped after it.
RUN_MODEL := $(strip $(or $(LLM_MODEL),$(shell sed -n 's/^LLM_MODEL=//p' .env 2>/dev/null | tail -n 1 | tr -d "\"' ")))
run: install
	@$(BIN)/python -m tools.pizzeria.business
ifeq ($(RUN_MODEL),local)
	$(BIN)/python -m eval.real chat --agent pizzeria_agent
else
	@$(BIN)/python -m tools.llm.preflight
	$(BIN)/adk run pizzeria_agent
endif

test: install
	$(BIN)/python -m pytest -q

# The real-model tier: llama.cpp's server and a small GGUF model built/fetched once into
# ~/.cache/local-shop-agents, both agents' eval sets and the natural conversations, one table
# (eval/README.md). LLM_MODEL=ollama_chat/<model> uses your Ollama instead. ARGS=--baseline
# adds the single-agent baseline; ARGS="--slots 0" runs one unpinned slot.
eval-real: install
	$(BIN)/python -m eval.tier $(ARGS)

.PHONY: install run test eval-real
