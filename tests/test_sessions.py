"""The project's session service (gateway/sessions.py) on real SQLite files and the real PostgreSQL,
checked against ADK's own `DatabaseSessionService` reading the same rows; and a tiny run of each
benchmark so they cannot rot silently."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from google.adk.errors import StaleSessionError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.events import Event, EventActions
from google.adk.runners import Runner
from google.adk.sessions import DatabaseSessionService, InMemorySessionService, Session
from google.genai import types
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks import prompt_size, session_memory, turn_overhead
from gateway import sessions as sessions_module
from gateway.sessions import CachedDatabaseSessionService, create_session_service

PG_URL = "postgresql+asyncpg://root@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/sessions.db" if request.param == "sqlite" else PG_URL


@pytest.fixture
async def app(url: str) -> AsyncIterator[str]:
    """A name of our own in ADK's shared tables; its rows are removed afterwards."""
    name = f"test_{uuid.uuid4().hex[:10]}"
    yield name
    cleaner = create_session_service(url)
    await cleaner.prepare_tables()  # type: ignore[attr-defined]
    await turn_overhead.drop_app(cleaner, name)
    await cleaner.close()  # type: ignore[attr-defined]


def said(text: str, delta: dict | None = None, author: str = "user") -> Event:
    role = "user" if author == "user" else "model"
    return Event(invocation_id=f"inv-{uuid.uuid4().hex[:6]}", author=author,
                 content=types.Content(role=role, parts=[types.Part(text=text)]), actions=EventActions(state_delta=delta or {}))


def texts(session: Session | None) -> list[str]:
    assert session is not None
    return [e.content.parts[0].text for e in session.events if e.content and e.content.parts]


async def test_memory_url_gives_the_in_memory_service() -> None:
    assert isinstance(create_session_service("memory://"), InMemorySessionService)


async def test_sqlite_file_is_created_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    service = create_session_service(f"sqlite+aiosqlite:///{tmp_path}/new/dir/sessions.db")
    assert isinstance(service, CachedDatabaseSessionService)
    await service.create_session(app_name="a", user_id="u")
    async with service.db_engine.connect() as conn:
        pragmas = [(await conn.execute(text(f"PRAGMA {p}"))).scalar() for p in ("journal_mode", "synchronous", "busy_timeout")]
    await service.close()
    assert pragmas == ["wal", 1, 30000]  # synchronous 1 = NORMAL
    assert (tmp_path / "new" / "dir" / "sessions.db").exists()


async def test_postgresql_gets_a_bounded_pool() -> None:
    service = create_session_service(PG_URL)
    assert isinstance(service, CachedDatabaseSessionService)
    assert service.db_engine.pool.size() == 10
    await service.close()


async def test_sessions_survive_a_restart_and_read_back_as_adk_reads_them(url: str, app: str) -> None:
    first = create_session_service(url)
    session = await first.create_session(app_name=app, user_id="ana", state={"phase": "SALUDO", "app:shop": "Don Carlo"})
    await first.append_event(session, said("hola"))
    await first.append_event(session, said("¿Cómo es tu nombre?", {"phase": "NOMBRE", "temp:scratch": 1}, author="bot"))
    await first.append_event(session, said("Ana", {"user:name": "Ana", "order": {"items": [{"id": "muzza", "qty": 2}]}}))
    assert await first.get_session(app_name=app, user_id="ana", session_id=session.id)  # as the Runner does each turn
    await first.append_event(session, said("¡Hola Ana!", {"phase": "PEDIDO"}, author="bot"))
    await first.append_event(session, said("dos muzzas"))  # no state change: the state stays
    await first.close()  # type: ignore[attr-defined]

    restarted = create_session_service(url)
    again = await restarted.get_session(app_name=app, user_id="ana", session_id=session.id)
    adk = DatabaseSessionService(db_url=url)
    reference = await adk.get_session(app_name=app, user_id="ana", session_id=session.id)
    cached = await restarted.get_session(app_name=app, user_id="ana", session_id=session.id)  # from the cache now
    await restarted.close()  # type: ignore[attr-defined]
    await adk.close()
    assert texts(again) == ["hola", "¿Cómo es tu nombre?", "Ana", "¡Hola Ana!", "dos muzzas"]
    assert again is not None and reference is not None and cached is not None
    assert again.state == {"phase": "PEDIDO", "order": {"items": [{"id": "muzza", "qty": 2}]}, "app:shop": "Don Carlo", "user:name": "Ana"}
    for read in (again, cached):
        assert [e.model_dump() for e in read.events] == [e.model_dump() for e in reference.events]
        assert read.state == reference.state
        assert read._storage_update_marker == reference._storage_update_marker


async def test_two_services_on_one_database_see_each_others_events(url: str, app: str) -> None:
    one, two = create_session_service(url), create_session_service(url)
    session = await one.create_session(app_name=app, user_id="ana")
    await one.append_event(session, said("hola"))
    seen_by_two = await two.get_session(app_name=app, user_id="ana", session_id=session.id)
    assert texts(seen_by_two) == ["hola"]
    assert seen_by_two is not None
    await two.append_event(seen_by_two, said("¡Hola!", {"phase": "PEDIDO"}, author="bot"))
    with pytest.raises(StaleSessionError):  # one's copy and cache both predate two's event: the UPDATE finds no row
        await one.append_event(session, said("sin recargar"))

    seen_by_one = await one.get_session(app_name=app, user_id="ana", session_id=session.id)
    assert texts(seen_by_one) == ["hola", "¡Hola!"]
    assert seen_by_one is not None and seen_by_one.state == {"phase": "PEDIDO"}
    with pytest.raises(StaleSessionError):  # one's cache is fresh again, this copy is not
        await one.append_event(session, said("el viejo objeto de sesión"))
    await one.append_event(seen_by_one, said("dos muzzas"))
    assert texts(await two.get_session(app_name=app, user_id="ana", session_id=session.id)) == ["hola", "¡Hola!", "dos muzzas"]
    await one.close()  # type: ignore[attr-defined]
    await two.close()  # type: ignore[attr-defined]


async def test_app_and_user_state_changed_through_another_session_are_read_fresh(url: str, app: str) -> None:
    one, two = create_session_service(url), create_session_service(url)
    mine = await one.create_session(app_name=app, user_id="ana")
    await one.append_event(mine, said("hola"))
    assert await one.get_session(app_name=app, user_id="ana", session_id=mine.id) is not None  # cached in `one`
    other = await two.create_session(app_name=app, user_id="ana")
    await two.append_event(other, said("x", {"app:open": False, "user:vip": True}))
    again = await one.get_session(app_name=app, user_id="ana", session_id=mine.id)
    await one.close()  # type: ignore[attr-defined]
    await two.close()  # type: ignore[attr-defined]
    assert again is not None and again.state == {"app:open": False, "user:vip": True}


async def test_concurrent_reads_survive_cache_evictions(url: str, app: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sessions_module, "CACHED_SESSIONS", 1)  # every other read evicts the entry another read holds
    service = create_session_service(url)
    created = [await service.create_session(app_name=app, user_id=name) for name in ("ana", "beto")]
    for session in created:
        await service.append_event(session, said(f"soy {session.user_id}"))
    reads = await asyncio.gather(*(
        service.get_session(app_name=app, user_id=s.user_id, session_id=s.id) for _ in range(20) for s in created
    ))
    await service.close()  # type: ignore[attr-defined]
    assert [texts(r) for r in reads] == [["soy ana"], ["soy beto"]] * 20


async def test_appending_to_a_deleted_session_fails(url: str, app: str) -> None:
    service = create_session_service(url)
    session = await service.create_session(app_name=app, user_id="ana")
    await service.append_event(session, said("hola"))
    other = create_session_service(url)
    await other.delete_session(app_name=app, user_id="ana", session_id=session.id)
    with pytest.raises(SessionNotFoundError):
        await service.append_event(session, said("¿hay alguien?"))
    assert await service.get_session(app_name=app, user_id="ana", session_id=session.id) is None
    await service.close()  # type: ignore[attr-defined]
    await other.close()  # type: ignore[attr-defined]


async def test_a_pizzeria_conversation_through_the_runner_is_stored_as_adk_would(url: str, app: str) -> None:
    bench = turn_overhead.agent("pizzeria")
    service = create_session_service(url)
    runner = Runner(app_name=app, agent=bench.scripted()[0], session_service=service)
    session = await service.create_session(app_name=app, user_id="5491100000077")
    for said_text in turn_overhead.PIZZERIA_TURNS:
        message = types.Content(role="user", parts=[types.Part(text=said_text)])
        async for _ in runner.run_async(user_id="5491100000077", session_id=session.id, new_message=message):
            pass
    ours = await service.get_session(app_name=app, user_id="5491100000077", session_id=session.id)
    adk = DatabaseSessionService(db_url=url)
    reference = await adk.get_session(app_name=app, user_id="5491100000077", session_id=session.id)
    await service.close()  # type: ignore[attr-defined]
    await adk.close()
    assert ours is not None and reference is not None
    assert reference.state["last_order_id"] and reference.state["conversation_phase"] == "TOMANDO_PEDIDO"
    assert [e.model_dump() for e in ours.events] == [e.model_dump() for e in reference.events]
    assert ours.state == reference.state


async def test_turn_overhead_benchmark_runs(shop: AsyncEngine) -> None:
    results = await turn_overhead.main(conversations=1, fresh_shop=False)
    assert [(r.agent, r.backend, r.error) for r in results] == [
        (agent, backend, "") for agent in ("pizzeria", "ecommerce") for backend in ("memory", "sqlite", "postgresql")
    ]
    assert all(r.timings and r.appends for r in results)
    assert all(r.statements for r in results if r.backend != "memory")


async def test_prompt_size_benchmark_runs(shop: AsyncEngine) -> None:
    assert await prompt_size.main(fresh_shop=False) == 0


async def test_session_memory_benchmark_runs() -> None:
    rows = await session_memory.main(sessions=2, backends=("memory", "sqlite"))
    assert [r["backend"] for r in rows] == ["memory", "sqlite"] and not any("error" in r for r in rows)
    assert rows[1]["stored"] == 4 and rows[1]["reopened"] > 0  # 2 warm-up + 2 measured sessions
