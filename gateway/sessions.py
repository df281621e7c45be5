"""The one place the project builds its ADK session service.

`create_session_service(url)`:

- `memory://` → ADK's `InMemorySessionService` (tests, demos; lost on restart).
- `sqlite+aiosqlite:///file.db` → a WAL-mode file with `synchronous=NORMAL` (no fsync per
  commit) and a busy timeout, so a second writer waits instead of failing.
- `postgresql+asyncpg://...` → a bounded, recycled, pre-pinged connection pool.

Both database kinds get `CachedDatabaseSessionService`: ADK's `DatabaseSessionService`,
its schema and its semantics, with less work per turn. ADK's `append_event` runs five
ORM statements (three SELECTs, the session UPDATE, the event INSERT) and `get_session`
reloads and re-parses the whole history on every turn. Here:

- an append is one UPDATE of the session row conditioned on `update_time` still being
  the revision this process last saw (ADK's stale-session check, made atomic across
  processes) plus the event INSERT: one transaction on SQLite, one statement on
  PostgreSQL;
- `get_session` answers from a per-process cache (the last `CACHED_SESSIONS` sessions)
  after one query confirms the row's `update_time` is unchanged, reading app and user
  state fresh in that same query. Every append moves `update_time`, so the cache never
  hides another process's events;
- on a SQLite file both run in a worker thread on a plain `sqlite3` connection: one
  thread hop per operation instead of aiosqlite's three or four per statement.

Both also seal what they store and index handoffs (`gateway.session_tables`).

Anything else (other dialects, the legacy schema, app or user state deltas, a session
object the cache does not vouch for, `GetSessionConfig` filters) is ADK's own code.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from google.adk.errors import StaleSessionError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.events import Event
from google.adk.sessions import (
    BaseSessionService,
    DatabaseSessionService,
    InMemorySessionService,
    Session,
    State,
)
from google.adk.sessions._session_util import extract_json_safe_state_delta
from google.adk.sessions.base_session_service import GetSessionConfig
from google.adk.sessions.migration._schema_check_utils import LATEST_SCHEMA_VERSION
from google.adk.sessions.schemas.v1 import (
    StorageAppState,
    StorageEvent,
    StorageSession,
    StorageUserState,
)
from sqlalchemy import Connection, Engine, Row, bindparam, create_engine, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url

from gateway import session_tables
from tools.identity import customer_id
from tools.llm.handoff import HandedOff

MEMORY_URL = "memory://"
CACHED_SESSIONS = 64
"""Sessions whose history one process keeps parsed (least recently used are dropped)."""
POSTGRES_POOL: dict[str, Any] = {"pool_size": 10, "max_overflow": 10, "pool_recycle": 1800, "pool_pre_ping": True}
HIDDEN: dict[str, Any] = {"hide_parameters": True}
"""Every engine: statement parameters (the customer's words) never in an error message or a log line."""

T = TypeVar("T")
_Key = tuple[str, str, str]
_sessions, _events = StorageSession.__table__, StorageEvent.__table__
_app_states, _user_states = StorageAppState.__table__, StorageUserState.__table__
# Built once, bound by name (k_app, k_user, k_id), so a turn only binds values.
_THIS = (_sessions.c.app_name == bindparam("k_app"), _sessions.c.user_id == bindparam("k_user"), _sessions.c.id == bindparam("k_id"))
_REVISION = (
    select(_sessions.c.update_time, _app_states.c.state, _user_states.c.state)
    .outerjoin(_app_states, _app_states.c.app_name == _sessions.c.app_name)
    .outerjoin(_user_states, (_user_states.c.app_name == _sessions.c.app_name) & (_user_states.c.user_id == _sessions.c.user_id))
    .where(*_THIS)
)
_MOVE = update(_sessions).where(*_THIS, _sessions.c.update_time == bindparam("k_marker"))
_EXISTS = select(_sessions.c.id).where(*_THIS)
_MOVED = (  # PostgreSQL: move and insert in one statement, one round trip in autocommit
    _MOVE.values(update_time=bindparam("k_time", type_=_sessions.c.update_time.type),
                 state=bindparam("k_state", type_=_sessions.c.state.type))
    .returning(_sessions.c.app_name, _sessions.c.user_id, _sessions.c.id)
    .cte("moved")
)
_MOVE_AND_INSERT = _events.insert().from_select(
    ["id", "app_name", "user_id", "session_id", "invocation_id", "timestamp", "event_data"],
    select(bindparam("e_id", type_=_events.c.id.type), _MOVED.c.app_name, _MOVED.c.user_id, _MOVED.c.id,
           bindparam("e_invocation", type_=_events.c.invocation_id.type), bindparam("k_time", type_=_events.c.timestamp.type),
           bindparam("e_data", type_=_events.c.event_data.type)),
)


def create_session_service(url: str, *, cached: bool = True) -> BaseSessionService:
    """The session service for `url`: `memory://`, SQLite or PostgreSQL (other URLs get ADK's plain service).

    `cached=False` keeps the tuned engine but uses ADK's `DatabaseSessionService` as is
    (the benchmarks compare the two).
    """
    if url.startswith(MEMORY_URL):
        return InMemorySessionService()
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        service = (CachedDatabaseSessionService if cached else DatabaseSessionService)(db_url=url, **HIDDEN)
        sa_event.listen(service.db_engine.sync_engine, "connect", _sqlite_pragmas)
        return service
    if backend == "postgresql":
        return (CachedDatabaseSessionService if cached else DatabaseSessionService)(db_url=url, **POSTGRES_POOL, **HIDDEN)
    return DatabaseSessionService(db_url=url, **HIDDEN)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL: readers never block the writer; NORMAL: fsync at checkpoints, not at every commit."""
    cursor = dbapi_conn.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


@dataclass
class _Cached:
    """A session as stored at revision `marker`: its own state, and its events as (time, id, stored JSON)."""

    marker: str
    state: dict[str, Any]
    events: list[tuple[datetime, str, str]] = field(default_factory=list)

    def restored_events(self) -> list[Event]:
        """Fresh `Event`s, parsed from JSON as ADK parses the `event_data` column."""
        return [Event.model_validate(json.loads(data)) for _, _, data in self.events]

    def plus(self, marker: str, state: dict[str, Any], event: Event, data: dict[str, Any]) -> _Cached:
        events = [*self.events, _stored(event, data)]
        if len(events) > 1 and events[-1] < events[-2]:
            events.sort()  # the table's order: timestamp, then id
        return _Cached(marker, state, events)


def _naive_utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def _stored(event: Event, data: dict[str, Any] | None = None) -> tuple[datetime, str, str]:
    data = data if data is not None else event.model_dump(exclude_none=True, mode="json")
    return _naive_utc(event.timestamp), event.id, json.dumps(data)


def _revision(conn: Connection, this: dict[str, str]) -> Row[Any] | None:
    return conn.execute(_REVISION, this).first()


def _append(conn: Connection, this: dict[str, str], marker: datetime, state: dict[str, Any], event: Event,
            data: dict[str, Any]) -> None:
    """Move the session row from `marker` to the event's time and `state`, and insert the event."""
    when = _naive_utc(event.timestamp)
    if conn.dialect.name == "postgresql":
        values = {"k_time": when, "k_state": state, "e_id": event.id, "e_invocation": event.invocation_id, "e_data": data}
        done = conn.execute(_MOVE_AND_INSERT, {**this, "k_marker": marker, **values}).rowcount == 1
    else:
        done = conn.execute(_MOVE, {**this, "k_marker": marker, "update_time": when, "state": state}).rowcount == 1
        if done:
            conn.execute(_events.insert(), {"id": event.id, "app_name": this["k_app"], "user_id": this["k_user"], "session_id": this["k_id"],
                                            "invocation_id": event.invocation_id, "timestamp": when, "event_data": data})
    if not done:
        if conn.execute(_EXISTS, this).first() is None:
            raise SessionNotFoundError(f"Session {this['k_id']} not found.")
        raise StaleSessionError("The session has been modified in storage since it was loaded. Reload it before appending.")


def _in_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    with engine.begin() as conn:
        return work(conn)


class CachedDatabaseSessionService(DatabaseSessionService):
    """ADK's `DatabaseSessionService` with a two-statement append and a validated history cache."""

    def __init__(self, db_url: str, **engine_kwargs: Any) -> None:
        super().__init__(db_url=db_url, **engine_kwargs)
        self._cache: OrderedDict[_Key, _Cached] = OrderedDict()
        parsed = make_url(db_url)
        self._index_ready, self._index_lock = False, asyncio.Lock()
        self._sqlite_file: Engine | None = None
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            self._sqlite_file = create_engine(parsed.set(drivername="sqlite"), **HIDDEN)
            sa_event.listen(self._sqlite_file, "connect", _sqlite_pragmas)

    @property
    def engines(self) -> list[Engine]:
        """Every engine this service runs statements on (for instrumentation)."""
        return [self.db_engine.sync_engine, *([self._sqlite_file] if self._sqlite_file else [])]

    async def _run(self, work: Callable[[Connection], T]) -> T:
        """`work` on a SQLite file: in a worker thread, in one transaction; on PostgreSQL: in autocommit
        (each statement `work` runs is atomic on its own, and costs one round trip)."""
        if self._sqlite_file is not None:
            return await asyncio.to_thread(_in_transaction, self._sqlite_file, work)
        async with self.db_engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            return await conn.run_sync(work)

    async def prepare_tables(self) -> None:
        await super().prepare_tables()
        if not self._index_ready:
            async with self._index_lock:
                if not self._index_ready:
                    async with self.db_engine.begin() as conn:
                        await conn.run_sync(session_tables.create)
                    self._index_ready = True

    async def handed_off(self, app_name: str) -> list[HandedOff]:
        """Conversations waiting for a person (`tools.llm.handoff.handed_off`): one query on the index."""
        await self.prepare_tables()
        return await self._run(lambda conn: session_tables.waiting(conn, app_name))

    async def _index(self, session: Session, delta: dict[str, Any]) -> None:
        """Keep the handoff index in line after an append whose delta touched the handoff keys.

        The recipient is the customer behind the session's user id, resolved inside the
        gateway's turn (`tools.identity.acting_for`); operator appends only update or remove the row.
        """
        if session_tables.touches_handoff(delta):
            app, sid, user, state = session.app_name, session.id, session.user_id, dict(session.state)
            recipient = customer_id(user)
            await self._run(lambda conn: session_tables.record(conn, app, sid, user, recipient, state))

    def _fast(self) -> bool:
        """Whether the two fast paths apply: ADK's current schema, on a SQLite file or PostgreSQL."""
        return self._db_schema_version == LATEST_SCHEMA_VERSION and (
            self._sqlite_file is not None or self.db_engine.dialect.name == "postgresql"
        )

    def _remember(self, key: _Key, entry: _Cached) -> None:
        self._cache[key] = entry
        self._cache.move_to_end(key)
        while len(self._cache) > CACHED_SESSIONS:
            self._cache.popitem(last=False)

    def _remember_loaded(self, session: Session) -> None:
        if self._fast() and session._storage_update_marker:
            prefixes = (State.APP_PREFIX, State.USER_PREFIX, State.TEMP_PREFIX)
            own = copy.deepcopy({k: v for k, v in session.state.items() if not k.startswith(prefixes)})
            entry = _Cached(session._storage_update_marker, own, [_stored(e) for e in session.events])
            self._remember((session.app_name, session.user_id, session.id), entry)

    async def create_session(self, **kwargs: Any) -> Session:  # type: ignore[override]
        session = await super().create_session(**kwargs)
        self._remember_loaded(session)
        return session

    async def get_session(
        self, *, app_name: str, user_id: str, session_id: str, config: GetSessionConfig | None = None
    ) -> Session | None:
        await self.prepare_tables()
        key = (app_name, user_id, session_id)
        entry = self._cache.get(key)
        if config is None and entry is not None and self._fast():
            this = {"k_app": app_name, "k_user": user_id, "k_id": session_id}
            row = await self._run(lambda conn: _revision(conn, this))
            if row is None:
                self._cache.pop(key, None)
                return None
            stored = StorageSession(app_name=app_name, user_id=user_id, id=session_id, update_time=row[0])
            if stored.get_update_marker() == entry.marker:
                if self._cache.get(key) is entry:  # not evicted or replaced while we awaited
                    self._cache.move_to_end(key)
                state = copy.deepcopy(entry.state)
                state.update({State.APP_PREFIX + k: v for k, v in (row[1] or {}).items()})
                state.update({State.USER_PREFIX + k: v for k, v in (row[2] or {}).items()})
                return stored.to_session(state=state, events=entry.restored_events())
        session = await super().get_session(app_name=app_name, user_id=user_id, session_id=session_id, config=config)
        if session is None:
            self._cache.pop(key, None)
        elif config is None:
            self._remember_loaded(session)
        return session

    async def delete_session(self, app_name: str, user_id: str, session_id: str) -> None:
        self._cache.pop((app_name, user_id, session_id), None)
        await super().delete_session(app_name, user_id, session_id)

    async def append_event(self, session: Session, event: Event) -> Event:
        await self.prepare_tables()
        if event.partial:
            return event
        delta = extract_json_safe_state_delta(event.actions.state_delta or {})
        event = await self._append_event(session, event, delta)
        await self._index(session, delta["session"])
        return event

    async def _append_event(self, session: Session, event: Event, delta: dict[str, dict[str, Any]]) -> Event:
        key = (session.app_name, session.user_id, session.id)
        if not delta["app"] and not delta["user"] and self._fast():
            async with self._with_session_lock(app_name=session.app_name, user_id=session.user_id, session_id=session.id):
                entry = self._cache.get(key)
                if entry is not None and entry.marker == session._storage_update_marker:
                    self._apply_temp_state(session, event)
                    event = self._trim_temp_delta_state(event)
                    await self._write(session, event, entry, delta["session"])
                    return self._commit_event_to_session(session, event)
        self._cache.pop(key, None)
        return await super().append_event(session, event)

    async def _write(self, session: Session, event: Event, entry: _Cached, session_delta: dict[str, Any]) -> None:
        key = (session.app_name, session.user_id, session.id)
        this = {"k_app": session.app_name, "k_user": session.user_id, "k_id": session.id}
        state = {**entry.state, **session_delta}
        data = event.model_dump(exclude_none=True, mode="json")
        marker = datetime.fromisoformat(entry.marker)
        self._cache.pop(key, None)  # back only once the write succeeded
        await self._run(lambda conn: _append(conn, this, marker, state, event, data))
        stored = StorageSession(update_time=_naive_utc(event.timestamp))
        session.last_update_time = stored.get_update_timestamp()
        session._storage_update_marker = stored.get_update_marker()
        self._remember(key, entry.plus(session._storage_update_marker, state, event, data))

    async def close(self) -> None:
        if self._sqlite_file is not None:
            self._sqlite_file.dispose()
        await super().close()
