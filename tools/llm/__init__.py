"""Model plumbing shared by both agents: model factory, scripted model, turn guards."""

import os

# Offline, LiteLLM otherwise fetches its price map on first import and waits ~7 s.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
