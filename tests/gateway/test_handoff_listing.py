"""Listing handed-off conversations (what the panels poll every few seconds) reads the session list once.

It used to load every stored session with its whole history: with 200 stored pizzeria
conversations the kitchen board took over a second per poll. Now it is one query on the
`gateway_handoffs` index (issue 16 point 9).
"""

from __future__ import annotations

from pathlib import Path

from google.adk.events import Event, EventActions
from sqlalchemy import event

from gateway.sessions import CachedDatabaseSessionService, create_session_service
from tools.llm import handoff


async def _stored_conversations(tmp_path: Path, count: int, every: int) -> CachedDatabaseSessionService:
    """A SQLite session service with `count` pizzeria conversations `web-<i>` of users `u<i>`; every `every`-th handed off."""
    sessions = create_session_service(f"sqlite+aiosqlite:///{tmp_path / 'sessions.db'}")
    assert isinstance(sessions, CachedDatabaseSessionService)
    for i in range(count):
        session = await sessions.create_session(app_name="pizzeria_agent", user_id=f"u{i}", session_id=f"web-{i}")
        if i % every == 0:
            await sessions.append_event(session, Event(invocation_id=f"h{i}", author="pizzeria_agent", actions=EventActions(
                state_delta=handoff.handoff_delta("reclamo", f"resumen {i}"))))
    return sessions


async def test_handed_off_costs_a_few_statements_whatever_the_number_of_sessions(tmp_path: Path) -> None:
    sessions = await _stored_conversations(tmp_path, 60, every=20)
    statements = []

    def count(*_: object) -> None:
        statements.append(1)

    for engine in sessions.engines:
        event.listen(engine, "before_cursor_execute", count)
    found = await handoff.handed_off(sessions, "pizzeria_agent")
    assert sorted(h.session_id for h in found) == ["web-0", "web-20", "web-40"]
    assert {h.summary for h in found} == {"resumen 0", "resumen 20", "resumen 40"}
    assert len(statements) <= 4
    await sessions.close()


async def test_the_handoff_list_is_one_query_on_the_index_whatever_the_number_of_sessions(tmp_path: Path) -> None:
    sessions = await _stored_conversations(tmp_path, 200, every=50)
    released = await sessions.get_session(app_name="pizzeria_agent", user_id="u50", session_id="web-50")
    await handoff.release(sessions, "pizzeria_agent", "u50", "web-50")
    assert released is not None
    statements: list[str] = []
    for engine in sessions.engines:
        event.listen(engine, "before_cursor_execute", lambda _c, _k, sql, *_: statements.append(sql))
    found = await handoff.handed_off(sessions, "pizzeria_agent")
    assert [h.session_id for h in found] == ["web-0", "web-100", "web-150"]
    assert [h.summary for h in found] == ["resumen 0", "resumen 100", "resumen 150"]
    assert len(statements) == 1 and "gateway_handoffs" in statements[0], statements
    await sessions.close()
