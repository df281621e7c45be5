"""What every route module is built on: the service's shared parts, a request's JSON, and the agent name in a URL."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException
from google.adk.sessions import BaseSessionService
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway import whatsapp
from gateway.agents import SERVINGS
from gateway.notify import Notifier
from gateway.outbox import Outbox
from gateway.revocation import TokenVersions
from gateway.turns import Turns
from tools.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Service:
    """The parts one app instance shares between its routes."""

    settings: Settings
    turns: Turns
    sessions: BaseSessionService
    engine: AsyncEngine  # our tables: inbox, leases (and the shop's, in its own schema)
    sender: whatsapp.Sender
    outbox: Outbox  # messages to customers that no turn asked for (status changes, operators' replies)
    notifier: Notifier
    tokens: TokenVersions  # customers' token versions: revocation
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, coro: Any) -> None:
        """Run `coro` after the response; the app waits for these at shutdown."""
        task = asyncio.create_task(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def send_whatsapp(self, wa_id: str, text: str) -> None:
        try:
            await self.sender.send_text(wa_id, text)
        except Exception:
            log.exception("could not deliver a WhatsApp reply to %s", whatsapp.mask_phone(wa_id))


def json_body(raw: bytes) -> Any:
    """The JSON of a request body; ValueError when it is not JSON, or nested too deeply to read (a RecursionError)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def agent_name(agent: str) -> str:
    """The public agent name of a URL (404 for any other)."""
    if agent not in SERVINGS:
        raise HTTPException(404, detail=f"unknown agent {agent!r}; one of {sorted(SERVINGS)}")
    return agent


def app_name(agent: str) -> str:
    """The ADK app name of a URL's agent."""
    return SERVINGS[agent_name(agent)].app_name
