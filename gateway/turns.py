"""One customer turn through an agent, for every channel: session lookup, ordering, the run itself.

Each (agent, channel, customer) has one conversation whose session id is derived from
them with a keyed hash, so any replica finds the same session without a lookup table and
nobody without LOOKUP_KEY can tell from an id (or its absence) whose conversation it is.
The session's user id is the customer's pseudonym; the turn runs `acting_for` the real
id, so the agents' tools still find a returning customer by phone. Turns go through the
`Inbox` (dedupe + per-conversation order across replicas, recovery after a crash) and
ADK's `Runner` on the shared session service. Each turn runs under its inbox key
(`tools.turn_key`), which its side effects are stored with, so a retried turn cannot
repeat them. Replies on a pushed channel (WhatsApp) go out through the sender as soon
as the turn ends, whichever replica ran it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from google.adk.agents import BaseAgent
from google.adk.runners import Runner
from google.adk.sessions import BaseSessionService, Session
from google.genai import types

from gateway import whatsapp
from gateway.agents import SERVINGS
from gateway.inbox import RECOVER_SECONDS, Inbox, Pending, Received
from tools import turn_key
from tools.crypto import get_cipher
from tools.identity import acting_for
from tools.llm.replies import MODEL_DOWN, NOT_PROCESSED
from tools.llm.serving import ChannelState, TurnSummary
from tools.observability import conversation as log_conversation
from tools.observability import record_turn

log = logging.getLogger(__name__)


class IdempotencyConflict(ValueError):
    """The message's key was already used for another text."""


class StillPending(RuntimeError):
    """The message is recorded but its turn has not run yet (it failed; a later drain retries it)."""


class TurnResult(TurnSummary):
    session_id: str
    reply: str
    duplicate: bool = False


@dataclass(frozen=True)
class Conversation:
    agent: str
    channel: str
    user_id: str

    @property
    def app_name(self) -> str:
        return SERVINGS[self.agent].app_name

    @property
    def session_user(self) -> str:
        """The session's user id: the customer's keyed pseudonym, never the phone."""
        return get_cipher().pseudonym(self.user_id)

    @property
    def key(self) -> str:
        """The inbox's conversation key (in message ids and rows): pseudonymous too."""
        return f"{self.agent}:{self.channel}:{self.session_user}"

    @property
    def session_id(self) -> str:
        """Stable per conversation, keyed (LOOKUP_KEY): no phone in it, none recoverable from it."""
        return f"{self.channel}-{get_cipher().keyed_digest('session', self.key)[:24]}"

    @staticmethod
    def channel_of(session_id: str) -> str:
        return session_id.split("-", 1)[0]


def reply_text(events: list[Any]) -> str:
    """What the customer reads: the text of the turn's final responses (not text beside a function call)."""
    texts = []
    for event in events:
        if not event.is_final_response():
            continue
        for part in (event.content.parts if event.content else None) or []:
            if part.text and event.author != "user" and not getattr(part, "thought", False):
                texts.append(part.text)
    return "\n".join(texts).strip()


def model_calls(events: list[Any], coordinator: str) -> int:
    """Model responses in a turn: events carrying text or a function call that a model wrote
    (a specialist's, or one the coordinator relabeled as its own: those keep the model's usage)."""
    return sum(
        1
        for e in events
        if (e.author not in ("user", coordinator) or e.usage_metadata is not None)
        and e.content
        and any(p.text or p.function_call for p in e.content.parts or [])
    )


class Turns:
    """Runs turns of both agents on one session service and one inbox; the inbox's `Handler`."""

    def __init__(self, agents: dict[str, BaseAgent], sessions: BaseSessionService, inbox: Inbox,
                 sender: whatsapp.Sender) -> None:
        self.sessions, self.inbox, self.sender = sessions, inbox, sender
        self.agents = agents
        self.runners = {
            name: Runner(app_name=SERVINGS[name].app_name, agent=agent, session_service=sessions, auto_create_session=False)
            for name, agent in agents.items()
        }

    async def handle(
        self, conversation: Conversation, text: str, message_id: str | None = None, state: dict[str, Any] | None = None
    ) -> TurnResult:
        """Record the message, process the conversation's queue in order, return this message's reply.

        Raises `IdempotencyConflict` when `message_id` was used with another text, and
        `StillPending` when its turn failed this time (a retry with the same id gets the reply).
        """
        message_id = message_id or uuid.uuid4().hex
        received = await self.inbox.submit(conversation, message_id, text, state=state)
        if received is Received.CONFLICT:
            raise IdempotencyConflict("this Idempotency-Key was already used with a different message")
        if received is not Received.ANSWERED:
            await self.inbox.drain(self.inbox.conversation_of(conversation), self)
        reply = await self.inbox.reply_to(conversation, message_id)
        if reply is None:
            raise StillPending("the message is recorded and will be processed; retry with the same Idempotency-Key")
        session = await self._session(conversation)
        summary = SERVINGS[conversation.agent].summary(session.state)
        return TurnResult(session_id=conversation.session_id, reply=reply, duplicate=received is not Received.NEW,
                          **summary.model_dump())

    async def answer(self, message: Pending) -> str:
        """The inbox's handler: run the message's turn and push the reply where the channel is pushed."""
        conversation = Conversation(message.agent, message.channel, message.user_id)
        with log_conversation(conversation.agent, conversation.session_id, conversation.user_id):
            with turn_key.running(message.message_id):
                reply = await self.run(conversation, message, message.state)
            if reply:  # empty while a person has the conversation
                await self.deliver(conversation, reply)
        return reply

    async def give_up(self, message: Pending, reason: str) -> str:
        """The inbox's handler for a message that failed every try: the apology, pushed like a reply."""
        await self.deliver(Conversation(message.agent, message.channel, message.user_id), NOT_PROCESSED)
        return NOT_PROCESSED

    async def deliver(self, conversation: Conversation, reply: str) -> None:
        """Send a reply on WhatsApp (the web client reads it from its request, or its retry)."""
        if conversation.channel != "whatsapp":
            return
        try:
            await self.sender.send_text(conversation.user_id, reply)
        except Exception:
            log.exception("could not deliver a WhatsApp reply to %s", whatsapp.mask_phone(conversation.user_id))

    async def recover_forever(self) -> None:
        """Every replica's background loop: drain what nobody is draining (on start, then every few seconds)."""
        while True:
            try:
                if recovered := await self.inbox.recover(self):
                    log.info("recovered %d pending message(s)", recovered)
            except Exception:
                log.exception("inbox recovery pass failed")
            await asyncio.sleep(RECOVER_SECONDS)

    def start_recovery(self) -> asyncio.Task[None]:
        return asyncio.create_task(self.recover_forever(), name="inbox-recovery")

    async def _session(self, conversation: Conversation) -> Session:
        app, user, sid = conversation.app_name, conversation.session_user, conversation.session_id
        session = await self.sessions.get_session(app_name=app, user_id=user, session_id=sid)
        if session is None:
            session = await self.sessions.create_session(app_name=app, user_id=user, session_id=sid)
        return session

    async def run(self, conversation: Conversation, pending: Pending, state: dict[str, Any] | None = None) -> str:
        """One turn of the agent on a message taken from the inbox; the reply text (empty: nothing to say)."""
        session = await self._session(conversation)
        where = ChannelState.delta(channel=conversation.channel, conversation_id=conversation.session_id)
        if any(session.state.get(key) != value for key, value in where.items()):
            state = where | (state or {})  # recorded once, on the conversation's first turn
        runner = self.runners[conversation.agent]
        started = time.perf_counter()
        events = []
        message = types.Content(role="user", parts=[types.Part(text=pending.text)])
        try:
            with acting_for(conversation.session_user, conversation.user_id):
                async for event in runner.run_async(
                    user_id=conversation.session_user, session_id=conversation.session_id, new_message=message,
                    state_delta=state,
                ):
                    events.append(event)
        except Exception:
            log.exception("turn failed (conversation %s)", conversation.session_id)
            return MODEL_DOWN
        calls = model_calls(events, self.agents[conversation.agent].name)
        seconds = time.perf_counter() - started
        record_turn(conversation.agent, seconds, calls)
        log.info("turn done", extra={"agent": conversation.agent, "seconds": round(seconds, 4), "model_calls": calls})
        return reply_text(events)
