"""Memory per idle session and per process with many stored sessions, per session backend.

For each backend a child process runs `--sessions` pizzeria conversations of three turns
(greeting, a menu question, an order: state with an order and a tool response in the
history) through ADK's Runner with the scripted model, and reports its RSS after a
warm-up and after all sessions, so (after - warm) / sessions is what one idle session
costs the process. For the database backends a second, fresh process then opens the
same store and serves one more turn on a stored session: the RSS of a restarted server
with that many sessions on disk. Each measurement gets its own process because RSS
never shrinks.

    python -m benchmarks.session_memory [--sessions 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import uuid
from typing import Any

os.environ.setdefault("LLM_MODEL", "scripted")

import psutil

from benchmarks.turn_overhead import PG_URL, agent, drop_app
from gateway.sessions import CachedDatabaseSessionService, create_session_service
from tools.settings import REPO_ROOT, TRIAL_MOMENT, get_settings

TURNS = ["hola", "¿qué empanadas tienen?", "dos muzzas grandes y una coca de litro y medio"]
WARM_UP = 20


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


async def _talk(runner: Any, user: str, session_id: str, texts: list[str]) -> None:
    from google.genai import types

    for text in texts:
        message = types.Content(role="user", parts=[types.Part(text=text)])
        async for _ in runner.run_async(user_id=user, session_id=session_id, new_message=message):
            pass


async def fill(url: str, app: str, sessions: int) -> dict[str, Any]:
    """Child: store `sessions` conversations; RSS after the warm-up and at the end."""
    from google.adk.runners import Runner

    service = create_session_service(url)
    root, model = agent("pizzeria").scripted()
    runner = Runner(app_name=app, agent=root, session_service=service)
    warm, warm_up = 0.0, min(WARM_UP, sessions)
    for n in range(warm_up + sessions):
        if n == warm_up:
            gc.collect()
            warm = rss_mb()
        user = f"mem-{n}"
        session = await service.create_session(app_name=app, user_id=user)
        await _talk(runner, user, session.id, TURNS)
        model.requests.clear()  # the scripted model records every request it sees; that is not session memory
    gc.collect()
    cached = len(service._cache) if isinstance(service, CachedDatabaseSessionService) else sessions + warm_up
    return {"warm": warm, "after": rss_mb(), "held": cached}


async def reopen(url: str, app: str) -> dict[str, Any]:
    """Child: a fresh process opens the store and serves one turn on a stored session."""
    from google.adk.runners import Runner

    service = create_session_service(url)
    runner = Runner(app_name=app, agent=agent("pizzeria").scripted()[0], session_service=service)
    stored = await service.list_sessions(app_name=app, user_id="mem-0")
    await _talk(runner, "mem-0", stored.sessions[0].id, ["sacá la coca"])
    gc.collect()
    return {"reopened": rss_mb(), "stored": len((await service.list_sessions(app_name=app)).sessions)}


def child(mode: str, url: str, app: str, sessions: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.session_memory", "--child", mode, "--url", url, "--app", app,
               "--sessions", str(sessions)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600, cwd=REPO_ROOT)
    if done.returncode:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def main(sessions: int = 1000, backends: tuple[str, ...] = ("memory", "sqlite", "postgresql")) -> list[dict[str, Any]]:
    """Run each backend in child processes and print the table."""
    os.environ["PIZZERIA_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-pizzeria-")
    os.environ.setdefault("PIZZERIA_NOW", TRIAL_MOMENT)  # measured while the pizzeria is open
    get_settings.cache_clear()
    urls = {"memory": "memory://", "sqlite": f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/sessions.db", "postgresql": PG_URL}
    rows: list[dict[str, Any]] = []
    for backend in backends:
        url = urls[backend]
        app = f"bench_memory_{uuid.uuid4().hex[:8]}"
        row: dict[str, Any] = {"backend": backend}
        try:
            row |= child("fill", url, app, sessions)
            if backend != "memory":
                row |= child("reopen", url, app, sessions)
        except RuntimeError as exc:
            row["error"] = str(exc)[:80]
        finally:
            if backend == "postgresql":
                service = create_session_service(url)
                try:
                    await service.prepare_tables()  # type: ignore[attr-defined]
                    await drop_app(service, app)
                except OSError:
                    pass  # PostgreSQL not running: nothing was stored
                await service.close()  # type: ignore[attr-defined]
        rows.append(row)
    print(f"| sessions | stored sessions ({len(TURNS)} turns each) | RSS warm MB | RSS after MB | per idle session KB | "
          "sessions held in process | fresh process, one turn, MB |\n|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['backend']} | unavailable: {r['error']} | | | | | |")
            continue
        per = (r["after"] - r["warm"]) * 1024 / sessions
        reopened = f"{r['reopened']:.0f} ({r['stored']} stored)" if "reopened" in r else "– (lost on restart)"
        print(f"| {r['backend']} | {sessions:,} | {r['warm']:.0f} | {r['after']:.0f} | {per:.1f} | {r['held']:,} | {reopened} |")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--child", choices=["fill", "reopen"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--app", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "fill":
        print(json.dumps(asyncio.run(fill(args.url, args.app, args.sessions))))
    elif args.child == "reopen":
        print(json.dumps(asyncio.run(reopen(args.url, args.app))))
    else:
        asyncio.run(main(args.sessions))
