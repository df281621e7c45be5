"""Shop customer-service agent (ADK). `adk run ecommerce_agent` loads `agent.root_agent`."""

from . import agent
