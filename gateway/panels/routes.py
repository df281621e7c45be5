"""The staff panels: `/panel/pizzeria` (kitchen board) and `/panel/ecommerce` (operator console).

Each panel is one page with a live fragment (`/live`, polled every few seconds, 204 when
nothing changed), a login form, and POST forms (status buttons, an operator's reply,
release). Forms work without JavaScript (303 back to the page); `panel.js` posts them
with `Accept: application/json` and refreshes the fragment instead.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from gateway.agents import SERVINGS
from gateway.panels import board, staff, views
from gateway.panels.staff import Staff
from gateway.routes.deps import Service
from gateway.routes.operator import give_back, reply_as_person
from tools.settings import get_settings

STATIC = {"panel.js": "text/javascript", "panel.css": "text/css"}


@dataclass(frozen=True)
class Panel:
    title: str
    live_template: str
    context: Callable[[], Awaitable[dict[str, Any]]]  # the panel's own data, besides its handed-off conversations


def _panels() -> dict[str, Panel]:
    async def nothing() -> dict[str, Any]:
        return {}

    return {
        "pizzeria": Panel("Cocina", "_board.html", board.context),
        "ecommerce": Panel("Atención al cliente", "_console.html", nothing),
    }


def _panel(panels: dict[str, Panel], agent: str) -> Panel:
    if agent not in panels:
        raise HTTPException(404, detail="no such panel")
    return panels[agent]


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def routes(service: Service) -> APIRouter:
    router = APIRouter()
    panels = _panels()
    throttle = staff.Throttle()

    async def live_html(agent: str, who: Staff) -> str:
        panel = panels[agent]
        context = await panel.context()
        waiting = await views.waiting(service.sessions, SERVINGS[agent].app_name)
        return views.render(panel.live_template, agent=agent, staff=who, waiting=waiting, **context)

    def login_page(request: Request, agent: str, status: int, error: str | None = None) -> Response:
        nonce = staff.login_nonce(request)
        response = views.page("login.html", status=status, agent=agent, title=panels[agent].title, nonce=nonce, error=error)
        staff.keep_login_nonce(response, agent, nonce)
        return response

    def done(request: Request, agent: str, body: dict[str, Any]) -> Response:
        if _wants_json(request):
            return JSONResponse(body, headers=views.HEADERS)
        return RedirectResponse(staff.panel_path(agent), status_code=303, headers=views.HEADERS)

    async def posting(request: Request, agent: str, csrf: str | None) -> Staff:
        _panel(panels, agent)
        who = staff.current(request, agent)
        staff.check_csrf(request, who, csrf)
        return who

    @router.get("/panel/static/{name}")
    async def static(name: str) -> Response:
        if name not in STATIC:
            raise HTTPException(404, detail="not found")
        return FileResponse(views.HERE / "static" / name, media_type=STATIC[name], headers={"Cache-Control": "max-age=300"})

    @router.get("/panel/{agent}")
    async def show(request: Request, agent: str) -> Response:
        panel = _panel(panels, agent)
        try:
            who = staff.current(request, agent)
        except HTTPException as refused:
            return login_page(request, agent, refused.status_code, staff.CLOSED if refused.detail == staff.CLOSED else None)
        live = await live_html(agent, who)
        return views.page("panel.html", agent=agent, title=panel.title, staff=who, live=live, version=_version(live))

    @router.get("/panel/{agent}/live")
    async def live(request: Request, agent: str, v: str = "") -> Response:
        _panel(panels, agent)
        html = await live_html(agent, staff.current(request, agent))
        version = _version(html)
        if v == version:
            return Response(status_code=204, headers=views.HEADERS | {"X-Panel-Version": version})
        return Response(html, media_type="text/html", headers=views.HEADERS | {"X-Panel-Version": version})

    @router.post("/panel/{agent}/login")
    async def login(request: Request, agent: str, name: Annotated[str, Form(max_length=60)] = "",
                    password: Annotated[str, Form(max_length=200)] = "", csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
        _panel(panels, agent)
        client = request.client.host if request.client else "?"
        if throttle.blocked(client):
            return login_page(request, agent, 429, "Demasiados intentos. Esperá unos minutos.")
        if not staff.login_csrf_ok(request, csrf):
            return login_page(request, agent, 403, "El formulario venció. Probá de nuevo.")
        who = " ".join(name.split())
        if not staff.password_ok(password) or not who:
            throttle.failed(client)
            problem = "Escribí tu nombre." if not who else "Nombre o clave incorrectos." if get_settings().panel_secret else staff.CLOSED
            return login_page(request, agent, 401, problem)
        response = RedirectResponse(staff.panel_path(agent), status_code=303, headers=views.HEADERS)
        staff.issue(response, request, agent, who)
        return response

    @router.post("/panel/{agent}/logout")
    async def logout(request: Request, agent: str, csrf: Annotated[str | None, Form()] = None) -> Response:
        await posting(request, agent, csrf)
        response = RedirectResponse(staff.panel_path(agent), status_code=303, headers=views.HEADERS)
        staff.forget(response, agent)
        return response

    @router.post("/panel/{agent}/handoffs/{session_id}/reply")
    async def reply(request: Request, agent: str, session_id: str, text: Annotated[str, Form(min_length=1, max_length=4000)],
                    csrf: Annotated[str | None, Form()] = None, key: Annotated[str | None, Form(max_length=64)] = None) -> Response:
        await posting(request, agent, csrf)
        if not text.strip():
            raise HTTPException(422, detail="Escribí una respuesta.")
        async with _still_waiting():
            fresh = await reply_as_person(service, agent, session_id, text.strip(), key)
        return done(request, agent, {"status": "sent" if fresh else "duplicate"})

    @router.post("/panel/{agent}/handoffs/{session_id}/release")
    async def release(request: Request, agent: str, session_id: str, csrf: Annotated[str | None, Form()] = None) -> Response:
        await posting(request, agent, csrf)
        async with _still_waiting():
            await give_back(service, agent, session_id)
        return done(request, agent, {"status": "released"})

    @router.post("/panel/pizzeria/orders/{order_id}/status")
    async def order_status(request: Request, order_id: int, status: Annotated[str, Form(max_length=40)],
                           reason: Annotated[str | None, Form(max_length=300)] = None,
                           csrf: Annotated[str | None, Form()] = None) -> Response:
        who = await posting(request, "pizzeria", csrf)
        order = await board.change_status(service.notifier, order_id, status, who.name, reason)
        return done(request, "pizzeria", {"order_id": order.order_id, "status": order.status})

    return router


@contextlib.asynccontextmanager
async def _still_waiting() -> AsyncIterator[None]:
    """The operator API's 404, in the staff's words (someone else released it, or the customer's bot took it back)."""
    try:
        yield
    except HTTPException as refused:
        if refused.status_code != 404:
            raise
        raise HTTPException(404, detail="Esa conversación ya no está esperando a una persona.") from None


def _version(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()[:16]
