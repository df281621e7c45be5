"""`DEMO_USER`: ADK's own local user (`adk run`: test_user, `adk web`: user) is a chosen demo customer."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.chat import Chat
from tests.ecommerce.test_conversations import ShopChat
from tools.identity import ADK_LOCAL_USERS, customer_id
from tools.pizzeria.state import PizzeriaState
from tools.settings import get_settings


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def set_to(user: str) -> None:
        monkeypatch.setenv("DEMO_USER", user)
        get_settings.cache_clear()

    yield set_to
    get_settings.cache_clear()


def test_only_adks_local_users_are_mapped(demo) -> None:  # type: ignore[no-untyped-def]
    demo("5491160000002")
    assert ADK_LOCAL_USERS == {"test_user", "user"}
    assert customer_id("test_user") == customer_id("user") == "5491160000002"
    assert customer_id("5491160000003") == "5491160000003"  # a channel's user is who they are
    demo("")
    assert customer_id("test_user") == "test_user"


async def test_the_shop_knows_the_terminal_user_as_the_demo_customer(demo, shop: AsyncEngine) -> None:  # type: ignore[no-untyped-def]
    chat = await ShopChat.open("test_user")
    reply, _, _ = await chat.say("qué promociones tengo?")
    assert "identificarte" in reply  # no DEMO_USER: not a customer
    demo("5491160000002")
    reply, calls, _ = await chat.say("qué promociones tengo?")
    assert calls == [("my_promotions", {})] and "premium" in reply
    reply, _, _ = await chat.say("dónde está mi pedido 4581234?")
    assert "#4581234" in reply and "pendiente" in reply


async def test_the_pizzeria_greets_the_demo_customer_by_name(demo) -> None:  # type: ignore[no-untyped-def]
    demo("5491155550101")  # Juan Pérez in data/pizzeria/clientes.json
    chat = await Chat.open(user_id="test_user")
    turn = await chat.say("hola")
    assert "Juan" in turn.reply
    assert PizzeriaState.of(await chat.state()).customer() == "5491155550101"  # the session's id is ADK's; the stores' is the demo phone
