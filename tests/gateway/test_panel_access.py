"""Who gets into the staff panels and the customers' messages: staff with a login only, each panel apart, no CSRF.

Every panel endpoint refuses no session, a customer's session token (as a bearer token
or as the cookie), a session signed with another secret, and another panel's session;
every POST refuses a missing or wrong CSRF token. Customers read only their own messages.
"""

from __future__ import annotations

import httpx
import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.panels import staff
from tests.gateway import panel_client
from tests.gateway.conftest import OPERATOR, Service, open_service, token
from tests.gateway.panel_client import panel_service  # noqa: F401  (the `panel` fixture)
from tools.settings import get_settings

ENDPOINTS = [  # (method, path) of every panel endpoint, per panel
    ("GET", "/panel/{agent}"),
    ("GET", "/panel/{agent}/live"),
    ("POST", "/panel/{agent}/logout"),
    ("POST", "/panel/{agent}/handoffs/web-0123456789abcdef01234567/reply"),
    ("POST", "/panel/{agent}/handoffs/web-0123456789abcdef01234567/release"),
]
BOARD_ONLY = [("POST", "/panel/pizzeria/orders/1001/status")]


def _endpoints(agent: str) -> list[tuple[str, str]]:
    return [(m, p.format(agent=agent)) for m, p in ENDPOINTS] + (BOARD_ONLY if agent == "pizzeria" else [])


def _client(service: Service, cookies: dict[str, str] | None = None, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://gateway",
                             cookies=cookies, headers=headers)


def _forged_session(agent: str, secret: str) -> str:
    claims = {"sub": "intruso", "agent": agent, "nonce": "n", "iat": 1, "exp": 9_999_999_999, "iss": staff.ISSUER}
    import hashlib

    return jwt.encode(claims, hashlib.sha256(b"panel-session:" + secret.encode()).digest(), algorithm="HS256")


def _form(method: str) -> dict[str, object]:
    return {"data": {"status": "en preparación", "text": "hola", "csrf": "x"}} if method == "POST" else {}


@pytest.mark.parametrize("agent", ["pizzeria", "ecommerce"])
async def test_no_session_a_customer_token_or_a_forged_session_is_refused(panel: Service, agent: str) -> None:
    customer = token("5491160000001")
    callers = {
        "nobody": _client(panel),
        "customer bearer": _client(panel, Authorization=f"Bearer {customer}"),
        "customer token as cookie": _client(panel, {staff.cookie_name(agent): customer}),
        "operator bearer": _client(panel, Authorization=f"Bearer {OPERATOR}"),
        "forged session": _client(panel, {staff.cookie_name(agent): _forged_session(agent, "a-guessed-secret")}),
    }
    for who, client in callers.items():
        async with client:
            for method, path in _endpoints(agent):
                response = await client.request(method, path, **_form(method))  # type: ignore[arg-type]
                assert response.status_code == 401, (who, method, path, response.status_code)
                assert "Av. " not in response.text and "Ana" not in response.text


async def test_one_panels_session_does_not_open_the_other(panel: Service) -> None:
    await panel_client.login(panel.client, "pizzeria")
    cookie = panel.client.cookies.get(staff.cookie_name("pizzeria"))
    assert cookie
    async with _client(panel, {staff.cookie_name("ecommerce"): cookie}) as client:
        for method, path in _endpoints("ecommerce"):
            response = await client.request(method, path, **_form(method))  # type: ignore[arg-type]
            assert response.status_code == 403, (method, path)


async def test_posts_need_the_sessions_csrf_token(panel: Service) -> None:
    await panel_client.login(panel.client, "pizzeria")
    async with _client(panel) as other:  # another staff member's session
        assert (await panel_client.login(other, "pizzeria")).status_code == 303
        theirs = await panel_client.csrf(other, "pizzeria")
    for csrf in ("", "not-the-token", theirs):
        for method, path in _endpoints("pizzeria"):
            if method == "POST":
                response = await panel.client.post(path, data={"status": "en preparación", "text": "hola", "csrf": csrf})
                assert response.status_code == 403, (csrf, path)
    # The right token passes the CSRF check (and then finds no such order or conversation).
    good = await panel_client.csrf(panel.client, "pizzeria")
    assert (await panel_client.post(panel.client, "pizzeria", "/orders/1001/status", good, status="en preparación")).status_code == 409


async def test_login_refuses_a_wrong_password_a_stale_form_and_too_many_tries(panel: Service) -> None:
    assert (await panel_client.login(panel.client, "pizzeria", password="guess")).status_code == 401
    assert panel.client.cookies.get(staff.cookie_name("pizzeria")) is None
    async with _client(panel) as fresh:  # a form posted without the login page's cookie
        stale = await fresh.post("/panel/pizzeria/login", data={"name": "x", "password": panel_client.PANEL_SECRET, "csrf": "x"})
    assert stale.status_code == 403
    for _ in range(staff.FAILED_LOGINS):
        await panel_client.login(panel.client, "pizzeria", password="guess")
    blocked = await panel_client.login(panel.client, "pizzeria")  # even the right password, for a while
    assert blocked.status_code == 429


async def test_the_session_cookie_is_httponly_strict_and_scoped_to_its_panel(panel: Service) -> None:
    response = await panel_client.login(panel.client, "ecommerce")
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("panel_ecommerce="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/panel/ecommerce" in cookie
    page = await panel.client.get("/panel/ecommerce")
    assert page.headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_the_panels_are_closed_without_a_panel_secret(service_env: None, shop: AsyncEngine,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PANEL_SECRET", raising=False)
    get_settings.cache_clear()
    async for service in open_service():
        refused = await panel_client.login(service.client, "pizzeria", password="")
        assert refused.status_code == 401 and "falta configurar PANEL_SECRET" in refused.text
        assert (await service.client.get("/panel/pizzeria/live")).status_code == 401


async def test_unknown_panels_are_not_found(panel: Service) -> None:
    assert (await panel.client.get("/panel/tienda")).status_code == 404
    assert (await panel.client.get("/panel/static/../app.py")).status_code == 404


async def test_messages_need_the_customers_token_and_show_only_their_conversation(panel: Service) -> None:
    url = "/v1/chat/pizzeria/messages"
    assert (await panel.client.get(url)).status_code == 401
    assert (await panel.client.get(url, headers={"Authorization": "Bearer nope"})).status_code == 401
    forged = token("5491100000906", secret="another-secret-0123456789abcdef01234567")
    assert (await panel.client.get(url, headers={"Authorization": f"Bearer {forged}"})).status_code == 401
    staff_cookie = await panel_client.login(panel.client, "pizzeria")
    assert staff_cookie.status_code == 303 and (await panel.client.get(url)).status_code == 401  # a staff session is no customer
    mine = {"Authorization": f"Bearer {token('5491100000906')}"}
    assert (await panel.client.get(url, params={"channel": "whatsapp"}, headers=mine)).status_code == 422
    assert (await panel.client.get(url, headers=mine)).json() == {"messages": [], "last_id": 0}
