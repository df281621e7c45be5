"""Framework overhead per turn, excluding the model, for both agents on every session backend.

The scripted model answers instantly, so a turn's wall time is ADK's runner, the
coordinator or supervisor, the tools (JSON stores; the shop's SQL and semantic search)
and the session service. Each conversation runs many times (a new session each time; the
first is warm-up) per backend and the table gives p50 / p95 / max per turn, plus the SQL
statements and `append_event` calls per turn.

    python -m benchmarks.turn_overhead [--conversations 30] [--agents pizzeria,ecommerce] [--baseline]

`--baseline` adds ADK's own `DatabaseSessionService` on the same tuned engines, the
"before" of `gateway.sessions.CachedDatabaseSessionService`. PostgreSQL comes from
`BENCH_PG_URL` (default the local test database); its rows are removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("LLM_MODEL", "scripted")

from google.adk.agents import BaseAgent
from google.adk.runners import Runner
from google.adk.sessions import BaseSessionService, DatabaseSessionService
from google.adk.sessions.schemas.v1 import (
    StorageAppState,
    StorageEvent,
    StorageSession,
    StorageUserState,
)
from google.genai import types
from sqlalchemy import delete, event

from gateway.sessions import create_session_service
from tools.llm.scripted import Policy, ScriptedLlm
from tools.settings import TRIAL_MOMENT, get_settings

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+asyncpg://root@127.0.0.1:5432/test")
PIZZERIA_TURNS = [
    "hola", "me llamo Ana", "dos muzzas grandes y una fugazzeta chica, y una coca de litro y medio",
    "¿qué empanadas tienen?", "sacá la fugazzeta", "eso es todo", "sí", "Av. Corrientes 1234, 5° B", "efectivo",
]
SHOP_CUSTOMER = "5491160000001"  # a seeded customer with orders
SHOP_TURNS = [
    "hola", "donde esta mi pedido #4581230", "tienen notebook gamer con rtx 4060 hasta 3 millones?", "que promociones tienen?",
]


@dataclass
class Agent:
    """How to build one agent on a scripted model and talk to it."""

    name: str
    build: Callable[[ScriptedLlm], BaseAgent]
    policy: Policy
    turns: list[str]
    user: Callable[[], str]

    def scripted(self) -> tuple[BaseAgent, ScriptedLlm]:
        model = ScriptedLlm(policy=self.policy)
        return self.build(model), model


def agent(name: str) -> Agent:
    """The pizzeria or the shop (only that agent's modules are imported)."""
    if name == "pizzeria":
        from pizzeria_agent.agent import build_agent
        from pizzeria_agent.demo_policy import demo_policy

        return Agent(name, build_agent, demo_policy, PIZZERIA_TURNS, lambda: f"bench-{uuid.uuid4().hex[:10]}")
    from ecommerce_agent.agent import build_agent as build_shop
    from ecommerce_agent.demo_policy import demo_policy as shop_policy

    return Agent(name, build_shop, shop_policy, SHOP_TURNS, lambda: SHOP_CUSTOMER)


def backends(baseline: bool) -> dict[str, Callable[[], BaseSessionService]]:
    def sqlite(cached: bool) -> Callable[[], BaseSessionService]:
        return lambda: create_session_service(f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/sessions.db", cached=cached)

    found: dict[str, Callable[[], BaseSessionService]] = {
        "memory": lambda: create_session_service("memory://"),
        "sqlite": sqlite(True),
        "postgresql": lambda: create_session_service(PG_URL),
    }
    if baseline:
        found["sqlite, ADK as is"] = sqlite(False)
        found["postgresql, ADK as is"] = lambda: create_session_service(PG_URL, cached=False)
    return found


async def use_fresh_shop(root: Path) -> None:
    """Point the shop runtime at a new seeded SQLite shop and Chroma index under `root` (built now, not timed)."""
    from tools.shop import runtime

    os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{root / 'shop.db'}"
    os.environ["CHROMA_PATH"] = str(root / "chroma")
    for name in ("CHROMA_URL", "CARRIER_API_URL"):
        os.environ.pop(name, None)
    get_settings.cache_clear()
    runtime.reset_runtime()
    await runtime.get_index()


async def drop_app(service: BaseSessionService, app_name: str) -> None:
    """Remove every row ADK stored for `app_name` (benchmarks and tests share the PostgreSQL database)."""
    if not isinstance(service, DatabaseSessionService) or not service._tables_created:
        return
    async with service.db_engine.begin() as conn:
        for table in (StorageEvent, StorageSession, StorageUserState, StorageAppState):
            await conn.execute(delete(table.__table__).where(table.__table__.c.app_name == app_name))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Result:
    agent: str
    backend: str
    timings: list[float] = field(default_factory=list)  # ms per measured turn
    statements: int = 0
    appends: int = 0
    error: str = ""

    def row(self) -> str:
        if self.error:
            return f"| {self.agent} | {self.backend} | – | unavailable: {self.error} | | | | |"
        n = len(self.timings)
        sql = f"{self.statements / n:.1f}" if self.backend != "memory" else "–"
        return (f"| {self.agent} | {self.backend} | {n} | {pct(self.timings, .5):.1f} | {pct(self.timings, .95):.1f} | "
                f"{max(self.timings):.1f} | {sql} | {self.appends / n:.1f} |")


async def run(bench: Agent, backend: str, service: BaseSessionService, conversations: int) -> Result:
    app = f"bench_{bench.name}_{uuid.uuid4().hex[:8]}"
    result = Result(bench.name, backend)
    runner = Runner(app_name=app, agent=bench.scripted()[0], session_service=service)
    counting = False
    append = service.append_event

    async def counted_append(*args: Any, **kwargs: Any) -> Any:
        result.appends += counting
        return await append(*args, **kwargs)

    service.append_event = counted_append  # type: ignore[method-assign]
    if isinstance(service, DatabaseSessionService):
        def count_statement(*_args: Any) -> None:
            result.statements += counting

        for engine in getattr(service, "engines", [service.db_engine.sync_engine]):
            event.listen(engine, "before_cursor_execute", count_statement)
    try:
        for n in range(conversations + 1):  # conversation 0 warms imports, caches and pools
            user = bench.user()
            session = await service.create_session(app_name=app, user_id=user)
            for text in bench.turns:
                message = types.Content(role="user", parts=[types.Part(text=text)])
                counting = n > 0
                start = time.perf_counter()
                async for _ in runner.run_async(user_id=user, session_id=session.id, new_message=message):
                    pass
                if counting:
                    result.timings.append((time.perf_counter() - start) * 1000)
                counting = False
    finally:
        await drop_app(service, app)
        if isinstance(service, DatabaseSessionService):
            await service.close()
    return result


async def main(conversations: int = 30, agent_names: tuple[str, ...] = ("pizzeria", "ecommerce"),
               baseline: bool = False, fresh_shop: bool = True) -> list[Result]:
    """Run and print the table. `fresh_shop=False` uses the shop the environment already points at."""
    os.environ["PIZZERIA_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-pizzeria-")
    os.environ.setdefault("PIZZERIA_NOW", TRIAL_MOMENT)  # measured while the pizzeria is open
    get_settings.cache_clear()
    if "ecommerce" in agent_names and fresh_shop:
        await use_fresh_shop(Path(tempfile.mkdtemp(prefix="bench-shop-")))
    results = []
    for name in agent_names:
        for backend, make in backends(baseline).items():
            try:
                results.append(await run(agent(name), backend, make(), conversations))
            except (OSError, ConnectionError) as exc:  # PostgreSQL not running
                results.append(Result(name, backend, error=type(exc).__name__))
            print(results[-1].row(), flush=True)
    print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("| agent | sessions | turns | p50 ms | p95 ms | max ms | SQL statements / turn | appends / turn |\n"
          "|---|---|---|---|---|---|---|---|")
    print("\n".join(r.row() for r in results))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=30)
    parser.add_argument("--agents", default="pizzeria,ecommerce")
    parser.add_argument("--baseline", action="store_true", help="also run ADK's DatabaseSessionService unchanged")
    args = parser.parse_args()
    asyncio.run(main(args.conversations, tuple(args.agents.split(",")), args.baseline))
