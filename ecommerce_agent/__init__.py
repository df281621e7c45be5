"""Shop customer-service agent (ADK). `adk run ecommerce_agent` loads `agent.root_agent`.

The `*.evalset.json` links here point into `eval/ecommerce/`: `adk web` lists an app's eval
sets only from its own folder (ADK's LocalEvalSetsManager), so they stay for it.
"""

from . import agent
