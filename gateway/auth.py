"""Who is speaking: signed session tokens for customers, keys for the shop's backend and operators.

A customer's identity is the `sub` claim of an HS256 JWT signed with `JWT_SECRET`,
never anything in a request body. Its `role` claim is the role the e-commerce agent
enforces (it can only lower the role the customer's record allows, never raise it: see
`tools.shop.permissions`). Tokens are issued by `POST /v1/tokens`, which only the shop's
own backend may call (`SERVER_API_KEY`). Operators of the human handoff use
`OPERATOR_TOKEN`. Every comparison of a secret is constant-time.
"""

from __future__ import annotations

import hmac
import time
from typing import Annotated

import jwt
from fastapi import Depends, Header, HTTPException, status
from pydantic import BaseModel

from tools.settings import Settings, get_settings
from tools.shop.permissions import ROLES

ALGORITHM = "HS256"
ISSUER = "local-shop-agents"


class Caller(BaseModel):
    """The authenticated customer of a request."""

    user_id: str
    role: str


def issue_token(settings: Settings, subject: str, role: str = "customer", ttl_s: int | None = None) -> tuple[str, int]:
    """A signed token for `subject` with `role`; returns (token, expiry as epoch seconds)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    now = int(time.time())
    expires = now + (ttl_s or settings.jwt_ttl_s)
    claims = {"sub": subject, "role": role, "iat": now, "exp": expires, "iss": ISSUER}
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM), expires


def read_token(settings: Settings, token: str) -> Caller:
    """The caller a token names; raises `jwt.InvalidTokenError` if it is forged, expired or malformed."""
    claims = jwt.decode(
        token, settings.jwt_secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["sub", "exp", "iat", "role"]}
    )
    if claims["role"] not in ROLES or not isinstance(claims["sub"], str) or not claims["sub"]:
        raise jwt.InvalidTokenError("bad claims")
    return Caller(user_id=claims["sub"], role=claims["role"])


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time equality; an unset secret never matches."""
    return bool(expected) and given is not None and hmac.compare_digest(given.encode(), expected.encode())


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def caller(authorization: Annotated[str | None, Header()] = None) -> Caller:
    """FastAPI dependency: the customer named by a valid bearer token, else 401."""
    settings = get_settings()
    token = _bearer(authorization)
    if token is None or not settings.jwt_secret:
        raise unauthorized("missing token")
    try:
        return read_token(settings, token)
    except jwt.InvalidTokenError:
        raise unauthorized("invalid or expired token") from None


def server_key(x_api_key: Annotated[str | None, Header()] = None) -> None:
    """FastAPI dependency: only the shop's own backend (SERVER_API_KEY)."""
    if not same_secret(x_api_key, get_settings().server_api_key):
        raise unauthorized("server API key required")


def operator(authorization: Annotated[str | None, Header()] = None) -> None:
    """FastAPI dependency: the human-handoff operators (OPERATOR_TOKEN)."""
    if not same_secret(_bearer(authorization), get_settings().operator_token):
        raise unauthorized("operator token required")


CallerDep = Annotated[Caller, Depends(caller)]
