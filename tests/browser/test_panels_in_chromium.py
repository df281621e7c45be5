"""The kitchen board and the operator console in Chromium, against the real service.

A customer orders through `/v1/chat/pizzeria`; the order appears on the open board
without a reload; the staff member taps through the statuses and cancels another order
with a reason; the customer's messages endpoint receives each status. On the console a
shop conversation handed to a person appears, the operator's reply reaches the web
customer, and releasing it gives the bot back. Each page is saved as a screenshot.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import time

import pytest
from google.adk.events import Event, EventActions

from gateway.sessions import create_session_service
from gateway.turns import Conversation
from tests.browser.conftest import Served, screenshot
from tests.gateway.panel_client import PANEL_SECRET
from tools.llm.handoff import handoff_delta
from tools.pizzeria import replies

ORDERS = {  # customer -> what they say, turn by turn
    "5491100000801": ["hola", "me llamo Ana", "dos muzzas grandes y una coca de litro y medio", "eso es todo", "sí",
                      "Av. Corrientes 1234, 5° B", "en efectivo"],
    "5491100000802": ["hola", "me llamo Luis", "una fugazzeta grande y seis empanadas de carne", "eso es todo", "sí",
                      "Lavalle 900", "con transferencia"],
    "5491100000803": ["hola", "me llamo Sofía", "una napolitana chica", "eso es todo", "sí", "Rivadavia 5000, 3° A", "mercado pago"],
}
SHOP_CUSTOMER = "5491160000001"


def _expect():  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    return expect


def _login(page, served: Served, agent: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{served.base}/panel/{agent}")
    page.get_by_label("Tu nombre").fill(name)
    page.get_by_label("Clave").fill(PANEL_SECRET)
    page.get_by_role("button", name="Ingresar").click()
    _expect()(page.locator("header.top")).to_contain_text(name)


def _wait_for(check, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def _order_ids(served: Served) -> dict[str, int]:
    ids = {}
    for customer, turns in ORDERS.items():
        for text in turns:
            reply = served.chat("pizzeria", customer, text)["reply"]
        found = re.search(r"#(\d+)", reply)
        assert found, reply
        ids[customer] = int(found.group(1))
    return ids


def _hand_off_pizzeria_conversation(served: Served, customer: str) -> None:
    """What the pizzeria's handoff (another issue) records: the shared handoff keys on the conversation."""

    async def hand_off() -> None:
        sessions = create_session_service(served.sessions_url)
        convo = Conversation("pizzeria", "web", customer)
        session = await sessions.get_session(app_name=convo.app_name, user_id=convo.session_user, session_id=convo.session_id)
        assert session is not None
        await sessions.append_event(session, Event(
            invocation_id="handoff-test", author="pizzeria_agent",
            actions=EventActions(state_delta=handoff_delta("reclamo por un pedido", "Dice que la pizza llegó fría.")),
        ))
        await sessions.close()

    served.chat("pizzeria", customer, "la pizza llegó fría, quiero hablar con alguien")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's loop runs in this thread
        pool.submit(asyncio.run, hand_off()).result()


def test_the_kitchen_board_runs_an_evening(served: Served, browser_context) -> None:  # type: ignore[no-untyped-def]
    expect = _expect()
    page = browser_context.new_page()
    page.goto(f"{served.base}/panel/pizzeria")
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()
    screenshot(page, "panel-login")
    _login(page, served, "pizzeria", "Carlos")
    expect(page.get_by_text("No hay pedidos en curso")).to_be_visible()
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    ids = _order_ids(served)  # placed while the board is open
    ana, luis, sofia = (ids[c] for c in ORDERS)
    for order_id in ids.values():
        expect(page.locator(f"#o-{order_id}")).to_be_visible()
    card = page.locator(f"#o-{ana}")
    expect(card).to_contain_text("Av. Corrientes 1234, 5° B")  # decrypted on the server
    expect(card).to_contain_text("Ana")
    expect(card).to_contain_text("Recibido")

    page.locator(f"#o-{luis}").get_by_role("button", name="Empezar a preparar").click()
    expect(page.locator(f"#o-{luis}")).to_contain_text("En preparación")
    _hand_off_pizzeria_conversation(served, "5491100000803")
    expect(page.get_by_text("reclamo por un pedido")).to_be_visible()
    screenshot(page, "kitchen-board", readme=True)

    for button, shown in (("Empezar a preparar", "En preparación"), ("Salió: en camino", "En camino")):
        card.get_by_role("button", name=button).click()
        expect(card).to_contain_text(shown)
    card.get_by_role("button", name="Entregado").click()
    expect(page.locator("ul.done")).to_contain_text(f"#{ana}")
    expect(page.locator(f"article#o-{ana}")).to_have_count(0)

    sofia_card = page.locator(f"#o-{sofia}")
    sofia_card.get_by_text("Cancelar…").click()
    sofia_card.get_by_label("Motivo").fill("Sin stock de napolitana")
    sofia_card.get_by_role("button", name=f"Cancelar pedido #{sofia}").click()
    expect(page.locator("ul.done")).to_contain_text("Sin stock de napolitana")
    assert page.evaluate("window.__sameDocument") is True  # every change came in without a reload

    wanted = [replies.status_notice(ana, s) for s in ("en preparación", "en camino", "entregado")]
    assert _wait_for(lambda: served.messages("pizzeria", "5491100000801") == wanted), served.messages("pizzeria", "5491100000801")
    [cancelled] = served.messages("pizzeria", "5491100000803")
    assert "Sin stock de napolitana" in cancelled
    assert served.messages("pizzeria", "5491100000802") == [replies.status_notice(luis, "en preparación")]

    waiting = page.locator("article.handoff")
    waiting.get_by_label("Respuesta").fill("Hola Sofía, soy Carlos de la cocina: te mandamos otra ya mismo.")
    waiting.get_by_role("button", name="Enviar").click()
    expect(waiting).to_contain_text("te mandamos otra ya mismo")
    assert _wait_for(lambda: any("otra ya mismo" in m for m in served.messages("pizzeria", "5491100000803")))
    waiting.get_by_role("button", name="Devolver al bot").click()
    expect(page.locator("article.handoff")).to_have_count(0)
    screenshot(page, "kitchen-board-later", readme=True)
    page.close()


def test_the_operator_console_answers_a_customer_and_gives_the_bot_back(served: Served, browser_context) -> None:  # type: ignore[no-untyped-def]
    expect = _expect()
    page = browser_context.new_page()
    _login(page, served, "ecommerce", "Lucía")
    expect(page.get_by_text("Nadie está esperando")).to_be_visible()

    served.chat("ecommerce", SHOP_CUSTOMER, "hola, compré una notebook y llegó con la pantalla rota")
    handed = served.chat("ecommerce", SHOP_CUSTOMER, "quiero hablar con una persona")
    assert handed["handed_off"] is True
    card = page.locator("article.handoff")
    expect(card).to_contain_text("pidió hablar con una persona")
    expect(card).to_contain_text("quiero hablar con una persona")  # the conversation so far
    expect(card).to_contain_text("recién")  # waiting time
    screenshot(page, "operator-console")

    card.get_by_label("Respuesta").fill("Hola, soy Lucía. Ya veo tu pedido: te ayudo con el cambio.")
    card.get_by_role("button", name="Enviar").click()
    expect(card.locator(".from-person")).to_contain_text("te ayudo con el cambio")
    screenshot(page, "operator-console-replied", readme=True)
    assert _wait_for(lambda: served.messages("ecommerce", SHOP_CUSTOMER) == [
        "Hola, soy Lucía. Ya veo tu pedido: te ayudo con el cambio."])
    assert served.chat("ecommerce", SHOP_CUSTOMER, "gracias!")["reply"] == ""  # a person has it: the bot is silent

    card.get_by_role("button", name="Devolver al bot").click()
    expect(page.get_by_text("Nadie está esperando")).to_be_visible()
    back = served.chat("ecommerce", SHOP_CUSTOMER, "donde esta mi pedido 4581230")
    assert back["handed_off"] is False and "4581230" in back["reply"]
    page.close()


def test_a_customer_session_cannot_open_the_panels(served: Served, browser_context) -> None:  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    for agent in ("pizzeria", "ecommerce"):
        browser_context.clear_cookies()
        response = page.goto(f"{served.base}/panel/{agent}/live")
        assert response is not None and response.status == 401
        response = page.goto(f"{served.base}/panel/{agent}")
        assert response is not None and response.status == 401
        _expect()(page.get_by_role("button", name="Ingresar")).to_be_visible()
    page.close()


pytestmark = pytest.mark.slow
