"""Real service processes (`python -m gateway`) for the benchmarks and the tests that need one.

`start_service` starts one on a free port with the given environment, its output appended
to a log file, and returns once it answers; `stop_services` ends them (SIGTERM, then SIGKILL
for one that does not exit). What each caller puts in the environment is its own.

On PostgreSQL each run has its own place: `create_run_database` makes a database for ADK's
session tables (our tables go in a schema of the same name, `DATABASE_SCHEMA`), and
`drop_run_database` drops both. ADK's tables in a shared database would keep app state
sealed with an earlier run's `DATA_KEYS`, which a later run cannot open.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from eval.real.server import free_port
from tools.settings import REPO_ROOT


def start_service(env: Mapping[str, str], log: Path, *, ready: str = "/readyz",
                  timeout: float = 120) -> tuple[subprocess.Popen[bytes], str]:
    """Start `python -m gateway` with `env`, output appended to `log`; (process, base URL) once `ready` answers 200.

    A process that exits first raises RuntimeError with the tail of `log`; one that is not
    ready within `timeout` seconds is killed and raises TimeoutError.
    """
    port = free_port()
    with log.open("ab") as out:  # the child keeps its own descriptor
        process = subprocess.Popen([sys.executable, "-m", "gateway", "--port", str(port)], cwd=REPO_ROOT, env=dict(env),
                                   stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the service exited with {process.returncode}:\n{tail}")
        try:
            if httpx.get(f"{base}{ready}", timeout=5).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_services([process], timeout=5)
    raise TimeoutError(f"the service at {base} did not answer {ready} within {timeout:.0f} s")


def stop_services(processes: Iterable[subprocess.Popen[bytes] | None], timeout: float = 15) -> None:
    """SIGTERM every process (None: already gone), then wait for each; kill one still running after `timeout` s."""
    running = [p for p in processes if p is not None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def create_run_database(pg_url: str, name: str) -> str:
    """Create the database `name` on `pg_url`'s server (one run's session tables); its URL."""
    asyncio.run(_admin(pg_url, f'CREATE DATABASE "{name}"'))
    return f"{pg_url.rsplit('/', 1)[0]}/{name}"


def drop_run_database(pg_url: str, name: str) -> None:
    """Drop the schema `name` of `pg_url`'s database (one run's own tables) and the database `name`."""
    asyncio.run(_admin(pg_url, f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    asyncio.run(_admin(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(pg_url: str, sql: str) -> None:
    engine = create_async_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()
