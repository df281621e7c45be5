"""Framework overhead per pizzeria turn, excluding the model.

The scripted model answers instantly, so a turn's wall time is ADK's runner,
the coordinator, tools, JSON stores and the session service. Runs the same
order conversation many times per session backend and prints p50/p95 per turn.

    python -m benchmarks.turn_overhead [--conversations 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid

os.environ.setdefault("LLM_MODEL", "scripted")

from google.adk.runners import Runner  # noqa: E402
from google.adk.sessions import DatabaseSessionService, InMemorySessionService  # noqa: E402
from google.genai import types  # noqa: E402

from pizzeria_agent.agent import build_agent  # noqa: E402
from pizzeria_agent.demo_policy import demo_policy  # noqa: E402
from tools.llm.scripted import ScriptedLlm  # noqa: E402
from tools.settings import get_settings  # noqa: E402

CONVERSATION = [
    "hola", "me llamo Ana", "dos muzzas grandes y una fugazzeta chica, y una coca de litro y medio",
    "¿qué empanadas tienen?", "sacá la fugazzeta", "eso es todo", "sí", "Av. Corrientes 1234, 5° B",
]
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+asyncpg://root@127.0.0.1:5432/test")


def wal(service: DatabaseSessionService) -> DatabaseSessionService:
    """SQLite in WAL mode with synchronous=NORMAL: one fsync per checkpoint instead of per commit."""
    from sqlalchemy import event

    def pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(service.db_engine.sync_engine, "connect", pragmas)
    return service


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(service, conversations: int) -> list[float]:  # type: ignore[no-untyped-def]
    runner = Runner(app_name="pizzeria_agent", agent=build_agent(ScriptedLlm(policy=demo_policy)), session_service=service)
    timings: list[float] = []
    for n in range(conversations):
        user = f"bench-{uuid.uuid4().hex[:8]}"
        session = await service.create_session(app_name="pizzeria_agent", user_id=user)
        for text in CONVERSATION:
            message = types.Content(role="user", parts=[types.Part(text=text)])
            start = time.perf_counter()
            async for _ in runner.run_async(user_id=user, session_id=session.id, new_message=message):
                pass
            if n:  # the first conversation warms caches and imports
                timings.append((time.perf_counter() - start) * 1000)
    return timings


async def main(conversations: int) -> None:
    os.environ["PIZZERIA_DATA_DIR"] = tempfile.mkdtemp()
    get_settings.cache_clear()
    backends = {
        "in-memory": lambda: InMemorySessionService(),
        "sqlite": lambda: DatabaseSessionService(db_url=f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/sessions.db"),
        "sqlite WAL+NORMAL": lambda: wal(DatabaseSessionService(db_url=f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/sessions.db")),
        "postgresql": lambda: DatabaseSessionService(db_url=PG_URL),
    }
    print("| sessions | turns | p50 ms | p95 ms | mean ms |\n|---|---|---|---|---|")
    for name, make in backends.items():
        try:
            timings = await run(make(), conversations)
        except Exception as exc:  # e.g. PostgreSQL not running
            print(f"| {name} | – | unavailable: {type(exc).__name__} | | |")
            continue
        print(f"| {name} | {len(timings)} | {pct(timings, 0.5):.1f} | {pct(timings, 0.95):.1f} | {statistics.mean(timings):.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=30)
    asyncio.run(main(parser.parse_args().conversations))
