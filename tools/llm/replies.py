"""What both agents and the service tell a customer when something outside the conversation goes wrong.

Each agent's own voice lives in its replies module (`tools/pizzeria/replies.py`,
`tools/shop/replies.py`); these few sentences are shared because the guards and the
service say them for either agent.
"""

from __future__ import annotations

TOO_MANY_CALLS = "Perdón, me enredé con eso. ¿Me lo decís de otra forma?"
MODEL_DOWN = "Perdón, tengo un problema técnico y no pude responderte. ¿Me lo escribís de nuevo en un ratito?"
"""Said when the model server is down or too slow; it claims nothing about what is saved (`model_down`)."""
KEPT = "Lo que ya anotamos sigue guardado."
CONFUSED = "Perdón, me confundí. ¿Me decís de nuevo qué necesitás?"
"""Said instead of a model answer that echoed its own instructions."""
NOT_PROCESSED = "Perdón, tuve un problema técnico y no pude procesar tu mensaje. ¿Me lo mandás de nuevo en un ratito?"
"""Said, once, for a message the service gave up on after several failed tries."""
NON_TEXT = "Por ahora solo puedo leer mensajes de texto. ¿Me lo escribís?"
"""Answer to audio, images, stickers... the agents only read text."""


def model_down(kept: bool = False) -> str:
    """The server apology; `kept` only when the conversation really has something saved."""
    return f"{MODEL_DOWN} {KEPT}" if kept else MODEL_DOWN


def truncated(limit: int) -> str:
    return f"(Tu mensaje era muy largo: leí solo los primeros {limit} caracteres.)"
