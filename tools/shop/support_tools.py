"""The support_agent's tools: answers from the help articles, and opening a support ticket."""

from __future__ import annotations

from typing import Any

from google.adk.tools import ToolContext

from tools import turn_key
from tools.shop import replies, runtime, tool_common
from tools.shop.search import KB_MIN_SCORE, search_kb
from tools.shop.support import open_ticket
from tools.shop.tool_common import NOT_IDENTIFIED, guarded, session_customer

KB_BODY_CHARS = 700
KB_HITS = 3


@guarded
async def search_help(query: str) -> dict[str, Any]:
    """Busca en la ayuda de la tienda: envíos, garantía, devoluciones, pagos, uso de productos.

    Args:
      query: la consulta, con las palabras del cliente.
    """
    text = " ".join(str(query or "").split())[:500]
    if not text:
        return {"ok": False, "found": False, "articles": [], "message": replies.ASK_HELP_QUERY}
    engine = await runtime.get_engine()
    index = await runtime.get_index()
    hits = [hit for hit in await search_kb(engine, index, text, limit=KB_HITS) if hit.score >= KB_MIN_SCORE]
    if not hits:
        return {"ok": True, "found": False, "articles": [], "message": replies.NO_HELP_FOUND}
    best = hits[0]
    body = best.body.strip()
    if len(body) > KB_BODY_CHARS:
        body = body[:KB_BODY_CHARS].rsplit(" ", 1)[0] + "…"
    articles = [{"id": h.id, "kind": h.kind, "title": h.title, "score": h.score} for h in hits]
    return {"ok": True, "found": True, "articles": articles, "answer": body,
            "message": replies.help_answer(best.title, body, [h.title for h in hits[1:]])}


@guarded
async def open_support_ticket(subject: str, description: str = "", tool_context: ToolContext | None = None) -> dict[str, Any]:
    """Abre un ticket para que una persona del equipo atienda el problema. Solo si el cliente lo pide o acepta.

    Args:
      subject: título corto (ej. "Notebook no enciende").
      description: el detalle que contó el cliente.
    """
    subject_text = " ".join(str(subject or "").split())
    description_text = str(description or "").strip() or subject_text
    if not subject_text and not description_text:
        return {"ok": False, "message": replies.ASK_PROBLEM}
    engine = await runtime.get_engine()
    async with engine.begin() as conn:
        customer = await session_customer(conn, tool_context)
        if customer is None:
            return dict(NOT_IDENTIFIED)
        ticket = await open_ticket(conn, customer.id, subject_text or description_text[:80], description_text,
                                   tool_common.now(), turn_key=turn_key.current())
    return {"ok": True, "ticket_id": ticket.id, "subject": ticket.subject, "status": ticket.status,
            "message": replies.ticket_opened(ticket.id, ticket.subject, customer.email)}
