"""Listing handed-off conversations (what the panels poll every few seconds) reads the session list once.

It used to load every stored session with its whole history: with 200 stored pizzeria
conversations the kitchen board took over a second per poll.
"""

from __future__ import annotations

from pathlib import Path

from google.adk.events import Event, EventActions
from sqlalchemy import event

from gateway.sessions import create_session_service
from tools.llm import handoff


async def test_handed_off_costs_a_few_statements_whatever_the_number_of_sessions(tmp_path: Path) -> None:
    sessions = create_session_service(f"sqlite+aiosqlite:///{tmp_path / 'sessions.db'}")
    for i in range(60):
        session = await sessions.create_session(app_name="pizzeria_agent", user_id=f"u{i}", session_id=f"web-{i}")
        if i % 20 == 0:
            await sessions.append_event(session, Event(invocation_id=f"h{i}", author="pizzeria_agent", actions=EventActions(
                state_delta=handoff.handoff_delta("reclamo", f"resumen {i}"))))
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
