"""Who is speaking: signed session tokens for customers, keys for the shop's backend and operators.

A customer's identity is the `sub` claim of an HS256 JWT signed with `JWT_SECRET`,
never anything in a request body. Its `role` claim is the role the e-commerce agent
enforces (it can only lower the role the customer's record allows, never raise it: see
`tools.shop.permissions`). Tokens are issued by `POST /v1/tokens`, which only the shop's
own backend may call (`SERVER_API_KEY`). Operators of the human handoff use
`OPERATOR_TOKEN`. Every comparison of a secret is constant-time.

A subject is 1-64 characters of `SUBJECT` (letters, digits, `_ . @ + -`): anything else
(a NUL, a lone surrogate, 200 characters) is refused when a token is issued and when
one is read. Its `ver` claim is the customer's token version when it was issued; a
token older than the customer's current version was revoked (`gateway/revocation.py`).
"""

from __future__ import annotations

import hmac
import re
import time
from typing import Annotated

import jwt
from fastapi import Depends, Header, HTTPException, Request, status
from pydantic import BaseModel

from tools.settings import Settings, get_settings
from tools.shop.permissions import ROLES

ALGORITHM = "HS256"
ISSUER = "local-shop-agents"
SUBJECT = r"^[A-Za-z0-9_.@+\-]{1,64}$"
_SUBJECT = re.compile(SUBJECT)


class Caller(BaseModel):
    """The authenticated customer of a request."""

    user_id: str
    role: str
    version: int = 0  # the customer's token version when the token was issued


def valid_subject(subject: object) -> bool:
    return isinstance(subject, str) and _SUBJECT.fullmatch(subject) is not None


def issue_token(settings: Settings, subject: str, role: str = "customer", ttl_s: int | None = None,
                version: int = 0) -> tuple[str, int]:
    """A signed token for `subject` with `role` at token `version`; returns (token, expiry as epoch seconds)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if not valid_subject(subject):
        raise ValueError("subject must be 1-64 letters, digits or _ . @ + -")
    now = int(time.time())
    expires = now + (ttl_s or settings.jwt_ttl_s)
    claims = {"sub": subject, "role": role, "iat": now, "exp": expires, "iss": ISSUER, "ver": version}
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM), expires


def read_token(settings: Settings, token: str) -> Caller:
    """The caller a token names; raises `jwt.InvalidTokenError` if it is forged, expired or malformed."""
    claims = jwt.decode(
        token, settings.jwt_secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["sub", "exp", "iat", "role"]}
    )
    version = claims.get("ver", 0)
    if claims["role"] not in ROLES or not valid_subject(claims["sub"]) or type(version) is not int or version < 0:
        raise jwt.InvalidTokenError("bad claims")
    return Caller(user_id=claims["sub"], role=claims["role"], version=version)


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time equality; an unset secret never matches."""
    return bool(expected) and given is not None and hmac.compare_digest(given.encode(), expected.encode())


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


async def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Caller:
    """FastAPI dependency: the customer named by a valid, unrevoked bearer token, else 401 (the body is not read)."""
    settings = get_settings()
    token = _bearer(authorization)
    if token is None or not settings.jwt_secret:
        raise unauthorized("missing token")
    try:
        found = read_token(settings, token)
    except jwt.InvalidTokenError:
        raise unauthorized("invalid or expired token") from None
    if found.version < await request.app.state.service.tokens.current(found.user_id):
        raise unauthorized("revoked token")
    return found


def server_key(x_api_key: Annotated[str | None, Header()] = None) -> None:
    """FastAPI dependency: only the shop's own backend (SERVER_API_KEY)."""
    if not same_secret(x_api_key, get_settings().server_api_key):
        raise unauthorized("server API key required")


def operator(authorization: Annotated[str | None, Header()] = None) -> None:
    """FastAPI dependency: the human-handoff operators (OPERATOR_TOKEN)."""
    if not same_secret(_bearer(authorization), get_settings().operator_token):
        raise unauthorized("operator token required")


CallerDep = Annotated[Caller, Depends(caller)]
