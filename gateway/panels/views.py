"""What both panels share: the Jinja2 templates, their filters, safe headers, and handed-off conversations.

Pages are rendered on the server (customer data is decrypted and escaped here, never
sent as raw records); the browser runs one small script (`static/panel.js`) that polls
the page's live fragment and posts the forms with the CSRF token.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from google.adk.sessions import BaseSessionService
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel
from starlette.responses import HTMLResponse

from gateway.turns import Conversation
from tools.llm import handoff
from tools.pizzeria.menu import format_price
from tools.pizzeria.stores import local_time

HERE = Path(__file__).parent
TRANSCRIPT_MESSAGES = 30  # the last messages of a handed-off conversation shown to the operator
CHANNELS = {"web": "Web", "whatsapp": "WhatsApp"}

HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}


def clock(moment: str | float | None) -> str:
    """"21:14" in the panel's time zone."""
    return "" if moment is None else local_time(moment).strftime("%H:%M")


def ago(moment: str | float | None, now: float | None = None) -> str:
    """"hace 12 min", "hace 1 h 5 min"."""
    if moment is None:
        return ""
    minutes = max(0, int(((now or time.time()) - local_time(moment).timestamp()) // 60))
    if minutes < 1:
        return "recién"
    if minutes < 60:
        return f"hace {minutes} min"
    return f"hace {minutes // 60} h {minutes % 60} min"


env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                  trim_blocks=True, lstrip_blocks=True)
env.filters.update(price=format_price, clock=clock, ago=ago, channel=lambda c: CHANNELS.get(c or "", c or "—"))


def render(template: str, **context: Any) -> str:
    return env.get_template(template).render(**context)


def page(template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    return HTMLResponse(render(template, **context), status_code=status, headers=HEADERS | (headers or {}))


class Said(BaseModel):
    who: str  # "Cliente", "Bot", "Persona"
    text: str
    at: float


class Waiting(BaseModel):
    """A handed-off conversation as an operator sees it."""

    session_id: str
    channel: str
    reason: str | None
    summary: str | None
    since: float | None  # when it was handed off
    messages: list[Said]


def _who(author: str) -> str:
    return "Cliente" if author == "user" else "Persona" if author == handoff.OPERATOR else "Bot"


async def waiting(sessions: BaseSessionService, app_name: str) -> list[Waiting]:
    """The app's handed-off conversations, longest waiting first, with their last messages."""
    found = []
    for h in await handoff.handed_off(sessions, app_name):
        session = await sessions.get_session(app_name=app_name, user_id=h.user_id, session_id=h.session_id)
        if session is None:
            continue
        since, said = None, []
        for event in session.events:
            if (event.actions.state_delta or {}).get("requires_human") is True:
                since = event.timestamp
            for part in (event.content.parts if event.content else None) or []:
                if part.text and not getattr(part, "thought", False):
                    said.append(Said(who=_who(event.author), text=part.text, at=event.timestamp))
        found.append(Waiting(session_id=h.session_id, channel=Conversation.channel_of(h.session_id), reason=h.reason,
                             summary=h.summary, since=since, messages=said[-TRANSCRIPT_MESSAGES:]))
    return sorted(found, key=lambda w: w.since or 0)
