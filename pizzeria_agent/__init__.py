"""Pizzeria delivery-order agent (ADK). `adk run pizzeria_agent` loads `agent.root_agent`."""

from . import agent
