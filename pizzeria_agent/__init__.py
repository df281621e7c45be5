"""Pizzeria delivery-order agent (ADK). `adk run pizzeria_agent` loads `agent.root_agent`.

The `*.evalset.json` links here point into `eval/pizzeria/`: `adk web` lists an app's eval
sets only from its own folder (ADK's LocalEvalSetsManager), so they stay for it.
"""

from . import agent
