"""Who may use a staff panel: a login form checked against `PANEL_SECRET`, a session cookie, CSRF tokens.

Logging in to `/panel/{agent}` sets an HttpOnly, SameSite=Strict cookie scoped to that
panel's path: a signed token (HS256, keyed from the panel secret, so changing the
secret logs everybody out) naming the staff member, the panel and a random nonce.
Every POST must carry the CSRF token derived from that nonce (form field `csrf` or
header `X-CSRF-Token`); the login form itself uses a double-submit cookie. A customer's
session token, a token for the other panel or a forged one is refused (401; 403 for the
other panel). Failed logins are throttled per client address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass

import jwt
from fastapi import HTTPException, Request, Response

from tools.settings import get_settings

ALGORITHM = "HS256"
ISSUER = "local-shop-agents/panel"
LOGIN_COOKIE = "panel_login"
FAILED_LOGINS = 5  # per client address and window, then 429
FAILED_WINDOW_S = 300.0
CLOSED = "El panel está cerrado: falta configurar PANEL_SECRET en el servidor."
LOGIN_AGAIN = "Tenés que ingresar de nuevo."


@dataclass(frozen=True)
class Staff:
    name: str
    agent: str
    csrf: str  # the token this session's POSTs must carry


def cookie_name(agent: str) -> str:
    return f"panel_{agent}"


def panel_path(agent: str) -> str:
    return f"/panel/{agent}"


def _key() -> bytes:
    secret = get_settings().panel_secret
    return hashlib.sha256(b"panel-session:" + secret.encode()).digest()


def _csrf_for(nonce: str) -> str:
    return hmac.new(_key(), f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def password_ok(given: str) -> bool:
    """Constant-time check against `PANEL_SECRET`; an unset secret never matches."""
    expected = get_settings().panel_secret
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def issue(response: Response, request: Request, agent: str, name: str) -> None:
    """Set the session cookie for `name` on `agent`'s panel."""
    now = int(time.time())
    ttl = get_settings().panel_session_ttl_s
    claims = {"sub": name, "agent": agent, "nonce": secrets.token_urlsafe(16), "iat": now, "exp": now + ttl, "iss": ISSUER}
    token = jwt.encode(claims, _key(), algorithm=ALGORITHM)
    response.set_cookie(cookie_name(agent), token, max_age=ttl, path=panel_path(agent), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def forget(response: Response, agent: str) -> None:
    response.delete_cookie(cookie_name(agent), path=panel_path(agent), httponly=True, samesite="strict")


def current(request: Request, agent: str) -> Staff:
    """The logged-in staff member of `agent`'s panel; 401 without a valid session, 403 for another panel's."""
    if not get_settings().panel_secret:
        raise HTTPException(401, detail=CLOSED)
    token = request.cookies.get(cookie_name(agent))
    if not token:
        raise HTTPException(401, detail=LOGIN_AGAIN)
    try:
        claims = jwt.decode(token, _key(), algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["sub", "agent", "nonce", "exp", "iat"]})
    except jwt.InvalidTokenError:
        raise HTTPException(401, detail=LOGIN_AGAIN) from None
    if claims["agent"] != agent:
        raise HTTPException(403, detail="Este ingreso es de otro panel.")
    return Staff(name=str(claims["sub"]), agent=agent, csrf=_csrf_for(str(claims["nonce"])))


def check_csrf(request: Request, staff: Staff, form_token: str | None) -> None:
    """403 unless the POST carries this session's CSRF token."""
    given = form_token or request.headers.get("x-csrf-token") or ""
    if not hmac.compare_digest(given.encode(), staff.csrf.encode()):
        raise HTTPException(403, detail="El formulario venció: recargá la página y probá de nuevo.")


def login_nonce(request: Request) -> str:
    """The login form's double-submit token: the cookie's if present, else a new one."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)


def keep_login_nonce(response: Response, agent: str, nonce: str) -> None:
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, path=panel_path(agent), httponly=True, samesite="strict")


def login_csrf_ok(request: Request, form_token: str) -> bool:
    cookie = request.cookies.get(LOGIN_COOKIE) or ""
    return bool(cookie) and hmac.compare_digest(cookie.encode(), form_token.encode())


class Throttle:
    """Failed logins per client address in a sliding window (in-process: each replica counts its own)."""

    def __init__(self) -> None:
        self.failures: defaultdict[str, deque[float]] = defaultdict(deque)

    def blocked(self, client: str) -> bool:
        recent = self.failures[client]
        while recent and recent[0] < time.monotonic() - FAILED_WINDOW_S:
            recent.popleft()
        if not recent:
            self.failures.pop(client, None)
        return len(recent) >= FAILED_LOGINS

    def failed(self, client: str) -> None:
        self.failures[client].append(time.monotonic())
