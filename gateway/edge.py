"""What every connection meets before any route: ADK's raw API closed or keyed, HTTP and WebSocket alike.

Our routes live under `PUBLIC_PREFIXES` and check their own callers. Everything else is
ADK's API, which trusts any `user_id`: it needs `X-API-Key: SERVER_API_KEY`, and is not
served at all with `EXPOSE_ADK_API=false`. A WebSocket (ADK's `/run_live`; we serve
none of our own) is held to the same rule and refused at the handshake (403), before
any session is looked up, so the answer never tells whether a conversation exists.
The body size cap is FastAPI's own (`app.max_body_size`, set from `MAX_BODY_BYTES`).
A 422 is FastAPI's, written as ASCII JSON (`unprocessable`): it echoes the input, and
an echoed lone surrogate (a valid JSON escape) cannot be written as UTF-8.
"""

from __future__ import annotations

import json

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import auth
from tools.settings import Settings

PUBLIC_PREFIXES = ("/v1/", "/webhooks/", "/healthz", "/readyz", "/panel/")


class GuardAdkApi:
    """ASGI middleware: ADK's routes (HTTP and WebSocket) only with the server key, or not at all."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        refusal = self.refusal(scope)
        if refusal is None:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":  # closing before accepting answers the handshake with 403
            return await send({"type": "websocket.close", "code": 1008, "reason": ""})
        status, detail = refusal
        await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        """(status, detail) when the connection may not reach its route, else None."""
        ours = scope["path"].startswith(PUBLIC_PREFIXES)
        if ours and scope["type"] == "websocket":
            return 404, "Not Found"
        if ours:
            return None
        if not self.settings.expose_adk_api:
            return 404, "Not Found"
        if not auth.same_secret(Headers(scope=scope).get("x-api-key"), self.settings.server_api_key):
            return 401, "server API key required"
        return None


async def unprocessable(_: Request, error: Exception) -> Response:
    """Exception handler: FastAPI's 422 body, ASCII-escaped so any input it echoes can be sent."""
    assert isinstance(error, RequestValidationError)
    body = json.dumps({"detail": jsonable_encoder(error.errors())}, ensure_ascii=True)
    return Response(body, status_code=422, media_type="application/json")
