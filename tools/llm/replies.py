"""What both agents and the service tell a customer when something outside the conversation goes wrong.

Each agent's own voice lives in its replies module (`tools/pizzeria/replies.py`,
`tools/shop/replies.py`); these few sentences are shared because the guards and the
service say them for either agent.
"""

from __future__ import annotations

TOO_MANY_CALLS = "Perdón, me enredé con eso. ¿Me lo decís de otra forma?"
MODEL_DOWN = "Perdón, tengo un problema técnico y no puedo responder ahora. Probá de nuevo en un ratito."
"""Said when the model server fails; it promises nothing about this turn (the message may not have been acted on)."""
NON_TEXT = "Por ahora solo puedo leer mensajes de texto. ¿Me lo escribís?"
"""Answer to audio, images, stickers... the agents only read text."""


def truncated(limit: int) -> str:
    return f"(Tu mensaje era muy largo: leí solo los primeros {limit} caracteres.)"
