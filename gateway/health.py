"""Readiness: can this replica serve a turn right now? Each dependency checked with a short timeout."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tools.llm.preflight import check_model_server
from tools.settings import Settings

CHECK_TIMEOUT_S = 2.0

Check = Callable[[], Awaitable[str]]
"""Returns a short detail when the component is up; raises when it is down."""


async def database(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return engine.dialect.name


async def chroma(settings: Settings) -> str:
    if settings.chroma_url:
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT_S) as client:
            response = await client.get(settings.chroma_url.rstrip("/") + "/api/v2/heartbeat")
            response.raise_for_status()
        return "server"
    path = settings.chroma_path
    path.mkdir(parents=True, exist_ok=True)
    if not os.access(path, os.W_OK):
        raise OSError(f"{path} is not writable")
    return "embedded"


async def model_server(settings: Settings) -> str:
    """The same check `make run` does before a chat: the server answers and (Ollama) has the model."""
    return await check_model_server(settings, timeout_s=CHECK_TIMEOUT_S)


async def run_checks(checks: dict[str, Check]) -> tuple[bool, dict[str, dict[str, object]]]:
    """Every check concurrently; (all up, per-component status)."""

    async def one(check: Check) -> dict[str, object]:
        started = time.perf_counter()
        try:
            detail = await asyncio.wait_for(check(), CHECK_TIMEOUT_S + 0.5)
            status: dict[str, object] = {"status": "up", "detail": detail}
        except Exception as exc:  # noqa: BLE001  any failure means "down"; the reason is for the operator
            status = {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
        status["ms"] = round((time.perf_counter() - started) * 1000, 1)
        return status

    results = await asyncio.gather(*(one(check) for check in checks.values()))
    report = dict(zip(checks, results, strict=True))
    return all(r["status"] == "up" for r in report.values()), report
