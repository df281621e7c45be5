"""Shared by both agents: the coordinator skeleton, typed state, the model factory, the scripted model, turn guards, handoff."""

import os

# Offline, LiteLLM otherwise fetches its price map on first import and waits ~7 s.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
