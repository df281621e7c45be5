"""The agents this service hosts, by the public name used in URLs (`/v1/chat/{agent}`)."""

from __future__ import annotations

from ecommerce_agent.serving import SERVING as ECOMMERCE
from pizzeria_agent.serving import SERVING as PIZZERIA
from tools.llm.serving import Serving

SERVINGS: dict[str, Serving] = {"pizzeria": PIZZERIA, "ecommerce": ECOMMERCE}
