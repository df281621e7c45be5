"""Health and readiness probes, and the metrics snapshot for the shop's backend."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from google.adk.sessions import BaseSessionService

from gateway import auth, health
from gateway.routes.deps import Service
from tools.observability import metrics_snapshot


def routes(service: Service) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        settings = service.settings
        ready, report = await health.run_checks(
            {
                "database": lambda: health.database(service.engine),
                "sessions": lambda: _sessions_check(service.sessions),
                "chroma": lambda: health.chroma(settings),
                "model_server": lambda: health.model_server(settings),
            }
        )
        return JSONResponse({"status": "ready" if ready else "not ready", "components": report}, status_code=200 if ready else 503)

    @router.get("/v1/metrics", dependencies=[Depends(auth.server_key)])
    async def metrics() -> dict[str, Any]:
        return metrics_snapshot()

    return router


async def _sessions_check(sessions: BaseSessionService) -> str:
    await sessions.list_sessions(app_name="readyz-probe", user_id="readyz-probe")
    return type(sessions).__name__
