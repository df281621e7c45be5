"""The session database's tables as the gateway stores them: ADK's, sealed, and the handoff index.

Sealed: ADK keeps each session's state and every event (the customer's words, the
delivery address the state later clears) as JSON columns. Importing this module swaps
the type of those columns (`sessions.state`, `events.event_data`, `app_states.state`,
`user_states.state`) for `SealedJSON`: the value is written as `{"sealed": <Fernet
token of its JSON>}` (`tools.crypto`, DATA_KEYS) and opened on read, by ADK's ORM code
and our fast path alike. Rows written before (plain JSON) read as they are.

Handoff index: `gateway_handoffs`, one row per conversation waiting for a person
(keyed by app and session id), kept by the session service on every append whose state
delta touches the handoff keys, so listing them is one indexed query instead of
reading every session. It holds the channel recipient (the real phone, encrypted) that
an operator's reply is sent to, because the session's user id is a pseudonym.
"""

from __future__ import annotations

import json
from typing import Any

from google.adk.sessions.schemas.shared import DynamicJSON
from google.adk.sessions.schemas.v1 import (
    StorageAppState,
    StorageEvent,
    StorageSession,
    StorageUserState,
)
from sqlalchemy import (
    Column,
    Connection,
    Dialect,
    Float,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.types import TypeDecorator

from tools.crypto import get_cipher
from tools.llm.handoff import HandedOff, HandoffState

SEALED = "sealed"


class SealedJSON(TypeDecorator[dict[str, Any]]):
    """ADK's `DynamicJSON` (JSONB on PostgreSQL, TEXT elsewhere) holding an encrypted copy of the value."""

    impl = DynamicJSON
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> dict[str, Any] | None:
        return None if value is None else {SEALED: get_cipher().encrypt(json.dumps(value))}

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, Any] | None:
        if isinstance(value, dict) and set(value) == {SEALED}:
            return json.loads(get_cipher().decrypt(value[SEALED]) or "null")
        return value


for _table, _column in ((StorageSession, "state"), (StorageEvent, "event_data"), (StorageAppState, "state"),
                        (StorageUserState, "state")):
    _table.__table__.c[_column].type = SealedJSON()

metadata = MetaData()

handoffs = Table(
    "gateway_handoffs", metadata,
    Column("app_name", String(128), primary_key=True),
    Column("session_id", String(128), primary_key=True),
    Column("user_id", String(128), nullable=False),  # the session's user id (a pseudonym under the gateway)
    Column("recipient", Text, nullable=False),  # who the channel delivers to (the phone), encrypted
    Column("reason", String(200)),
    Column("summary", Text),  # encrypted: it may quote the customer
    Column("since", Float),  # handoff_at: when handed off, or a person last replied
)

HANDOFF_KEYS = frozenset(HandoffState.model_fields)


CREATE_LOCK_ID = 7_310_003  # pg_advisory_xact_lock key: replicas starting together create the index once


def create(conn: Connection) -> None:
    """Create the index table if missing (in the caller's transaction; serialized across PostgreSQL replicas)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CREATE_LOCK_ID})
    metadata.create_all(conn, checkfirst=True)


def touches_handoff(delta: dict[str, Any]) -> bool:
    return not HANDOFF_KEYS.isdisjoint(delta)


def record(conn: Connection, app_name: str, session_id: str, user_id: str, recipient: str, state: dict[str, Any]) -> None:
    """Bring the index row of one conversation in line with its state after an append."""
    st = HandoffState.of(state)
    where = (handoffs.c.app_name == app_name) & (handoffs.c.session_id == session_id)
    if not st.requires_human:
        conn.execute(delete(handoffs).where(where))
        return
    cipher = get_cipher()
    values = {"reason": (st.handoff_reason or "")[:200] or None, "summary": cipher.encrypt(st.handoff_summary),
              "since": st.handoff_at}
    if conn.execute(update(handoffs).where(where).values(values)).rowcount == 0:
        conn.execute(handoffs.insert().values(app_name=app_name, session_id=session_id, user_id=user_id,
                                              recipient=cipher.encrypt(recipient), **values))


def waiting(conn: Connection, app_name: str) -> list[HandedOff]:
    """The app's handed-off conversations, longest waiting first: one query on the primary key's prefix."""
    cipher = get_cipher()
    rows = conn.execute(select(handoffs).where(handoffs.c.app_name == app_name).order_by(handoffs.c.since)).all()
    return [HandedOff(user_id=r.user_id, session_id=r.session_id, reason=r.reason, summary=cipher.decrypt(r.summary),
                      since=r.since, recipient=cipher.decrypt(r.recipient) or r.user_id) for r in rows]
