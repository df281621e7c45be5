"""Load: 100 pizzeria customers and 100 shop customers talking at once.

Scripted model, a fixed script per customer, the default embedded stores (JSON
files, the SQLite shop with embedded Chroma), both agents sharing one session
service as the gateway does: in memory, and the default embedded one
(`gateway.sessions` on a SQLite file). Every customer says different things, so any bleed between sessions shows:

- pizzeria: greet, name, a pizza, some empanadas, "eso es todo", "sí", address, payment.
  `pedidos.json` ends with exactly one order per customer, with that customer's
  name, items and address, and each session's final state points at its order.
- shop: a product search, tracking one of the customer's own orders, promotions.
  Each reply names that customer's order (and no other), promotions follow the
  customer's tier, and each session's history is its own three agents.

No turn may raise or answer with an error message. Throughput is printed.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from google.adk.runners import Runner
from google.adk.sessions import BaseSessionService
from google.genai import types
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ecommerce_agent.agent import build_agent as build_shop_agent
from ecommerce_agent.demo_policy import demo_policy as shop_policy
from gateway.sessions import create_session_service
from pizzeria_agent.agent import build_agent as build_pizzeria_agent
from pizzeria_agent.demo_policy import demo_policy as pizzeria_policy
from tools.crypto import get_cipher
from tools.llm.replies import MODEL_DOWN, TOO_MANY_CALLS
from tools.llm.scripted import ScriptedLlm
from tools.pizzeria import stores
from tools.pizzeria.replies import STORE_DOWN
from tools.shop import permissions, tool_common
from tools.shop.schema import customers, orders

pytestmark = pytest.mark.slow

CUSTOMERS_PER_AGENT = 100
ERRORS = (MODEL_DOWN, TOO_MANY_CALLS, STORE_DOWN, tool_common.TECHNICAL_ERROR["message"], permissions.UNAVAILABLE_REFUSAL["message"])

FIRST = ["Ana", "Beto", "Carla", "Diego", "Elena", "Facundo", "Gabriela", "Hernán", "Inés", "Julián"]
LAST = ["Acosta", "Benítez", "Castro", "Domínguez", "Escobar", "Figueroa", "Gutiérrez", "Herrera", "Ibarra", "Juárez"]
PIZZAS = ["muzzarella", "napolitana", "fugazzeta", "calabresa", "margarita", "cuatro_quesos"]
SIZES = ["chica", "mediana", "grande"]
EMPANADAS = ["carne", "pollo", "humita", "verdura", "caprese"]
STREETS = ["Lavalle", "Corrientes", "Belgrano", "Rivadavia", "Sarmiento", "Mitre", "Alsina"]
SKU = re.compile(r"\b[A-Z]{2,}-[A-Z]{2,}-\d{5}\b")
TIER_WORD = {"basic": "básico", "premium": "premium", "vip": "VIP"}
SEARCHES = ["busco un smart tv de 55 pulgadas", "busco un celular con buena camara", "precio de la heladera no frost",
            "tienen notebook gamer con rtx 4060 hasta 3 millones?", "tienen auriculares jbl hasta 100 mil?"]


@dataclass
class Talk:
    """One session's conversation: what was said, what came back, how long each turn took."""

    user_id: str
    turns: list[str]
    replies: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


async def converse(runner: Runner, talk: Talk) -> Talk:
    service: BaseSessionService = runner.session_service
    session = await service.create_session(app_name=runner.app_name, user_id=talk.user_id)
    for text in talk.turns:
        start = time.perf_counter()
        texts = []
        message = types.Content(role="user", parts=[types.Part(text=text)])
        async for event in runner.run_async(user_id=talk.user_id, session_id=session.id, new_message=message):
            texts += [p.text for p in (event.content.parts if event.content else None) or [] if p.text and event.author != "user"]
        talk.seconds.append(time.perf_counter() - start)
        talk.replies.append("\n".join(texts))
    final = await service.get_session(app_name=runner.app_name, user_id=talk.user_id, session_id=session.id)
    assert final is not None
    talk.state = dict(final.state)
    return talk


@dataclass(frozen=True)
class PizzaCustomer:
    n: int

    @property
    def user_id(self) -> str:
        return f"54911770{self.n:05d}"

    @property
    def name(self) -> str:
        return f"{FIRST[self.n % 10]} {LAST[self.n // 10 % 10]}"

    @property
    def pizza(self) -> tuple[str, str]:
        return PIZZAS[self.n % len(PIZZAS)], SIZES[self.n % len(SIZES)]

    @property
    def empanadas(self) -> tuple[str, int]:
        return f"empanada_{EMPANADAS[self.n % len(EMPANADAS)]}", 2 + self.n % 4

    @property
    def address(self) -> str:
        return f"{STREETS[self.n % len(STREETS)]} {100 + self.n}"

    def talk(self) -> Talk:
        pizza, size = self.pizza
        empanada, quantity = self.empanadas
        turns = ["hola", f"me llamo {self.name}", f"una {pizza.replace('_', ' ')} {size}",
                 f"{quantity} empanadas de {empanada.removeprefix('empanada_')}", "eso es todo", "sí", self.address,
                 ("efectivo", "transferencia", "mercado pago")[self.n % 3]]
        return Talk(self.user_id, turns)

    def items(self) -> set[tuple[str, str, int]]:
        (pizza, size), (empanada, quantity) = self.pizza, self.empanadas
        return {(pizza, size, 1), (empanada, "unidad", quantity)}


@dataclass(frozen=True)
class ShopCustomer:
    user_id: str
    tier: str
    order_number: str
    search: str

    def talk(self) -> Talk:
        return Talk(self.user_id, [self.search, f"donde esta mi pedido {self.order_number}", "¿qué promociones tengo?"])


async def shop_customers(engine: AsyncEngine, count: int) -> list[ShopCustomer]:
    """`count` sessions over the seeded customers (each customer in turn), each tracking another own order."""
    query = (select(customers.c.user_ref, customers.c.tier, orders.c.number)
             .join(orders, orders.c.customer_id == customers.c.id).order_by(customers.c.id, orders.c.number))
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    by_customer: dict[str, list[tuple[str, str]]] = {}
    cipher = get_cipher()
    for user_ref, tier, number in rows:  # the customer's own id (stored encrypted; user_id is its pseudonym)
        by_customer.setdefault(cipher.decrypt(user_ref), []).append((tier, number))
    people = sorted(by_customer)
    chosen = []
    for n in range(count):
        user_id = people[n % len(people)]
        tier, number = by_customer[user_id][n // len(people) % len(by_customer[user_id])]
        chosen.append(ShopCustomer(user_id, tier, number, SEARCHES[n % len(SEARCHES)]))
    return chosen


def _runners(service: BaseSessionService) -> tuple[Runner, Runner]:
    pizzeria = Runner(app_name="pizzeria_agent", agent=build_pizzeria_agent(ScriptedLlm(policy=pizzeria_policy)), session_service=service)
    shop = Runner(app_name="ecommerce_agent", agent=build_shop_agent(ScriptedLlm(policy=shop_policy)), session_service=service)
    return pizzeria, shop


SESSION_STORES = [pytest.param("memory://", id="memory-sessions"), pytest.param("sqlite", id="sqlite-sessions")]


@pytest.mark.parametrize("sessions", SESSION_STORES)
async def test_two_hundred_customers_at_once(shop: AsyncEngine, tmp_path: Path, sessions: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sessions.db'}" if sessions == "sqlite" else sessions
    service = create_session_service(url)
    pizzeria_runner, shop_runner = _runners(service)
    pizza_people = [PizzaCustomer(n) for n in range(CUSTOMERS_PER_AGENT)]
    shop_people = await shop_customers(shop, CUSTOMERS_PER_AGENT)
    talks = [*(p.talk() for p in pizza_people), *(c.talk() for c in shop_people)]
    runners = [pizzeria_runner] * len(pizza_people) + [shop_runner] * len(shop_people)

    start = time.perf_counter()
    done = await asyncio.gather(*(converse(r, t) for r, t in zip(runners, talks)), return_exceptions=True)
    wall = time.perf_counter() - start

    crashed = [d for d in done if isinstance(d, BaseException)]
    finished = [d for d in done if isinstance(d, Talk)]
    turns = sum(len(t.turns) for t in talks)
    latencies = [s for t in finished for s in t.seconds]
    errors = [(t.user_id, text, reply) for t in finished for text, reply in zip(t.turns, t.replies)
              if not reply.strip() or any(e in reply for e in ERRORS) or "Traceback" in reply]
    print(f"\n{len(talks)} conversations, {turns} turns in {wall:.1f} s: {turns / wall:.1f} turns/s, "
          f"turn p50 {statistics.median(latencies):.2f} s, p95 {sorted(latencies)[int(0.95 * len(latencies))]:.2f} s, "
          f"{len(crashed)} crashed, {len(errors)} error replies")
    if crashed:
        raise crashed[0]
    assert not errors, f"{len(errors)} error replies, first: {errors[0]}"

    _check_pizzeria(pizza_people, finished[: len(pizza_people)])
    _check_shop(shop_people, finished[len(pizza_people):])


def _check_pizzeria(people: list[PizzaCustomer], talks: list[Talk]) -> None:
    saved = stores.orders().all()
    assert len(saved) == len(people), f"{len(saved)} orders saved for {len(people)} customers"
    assert len({o.order_id for o in saved}) == len({o.order_key for o in saved}) == len(people)
    by_user = {o.user_id: o for o in saved}
    assert set(by_user) == {p.user_id for p in people}, "one order per customer, none lost or doubled"
    for person, talk in zip(people, talks):
        order = by_user[person.user_id]
        assert order.customer_name == person.name and order.address == person.address
        assert {(i["item_id"], i["size"], i["quantity"]) for i in order.items} == person.items(), person
        assert f"#{order.order_id}" in talk.replies[-1]
        state = talk.state
        assert (state["user_id"], state["user_name"], state["last_order_id"]) == (person.user_id, person.name, order.order_id)
        assert state["finalized_order_key"] == order.order_key
        assert state["current_order"]["items"] == [] and state["conversation_phase"] == "TOMANDO_PEDIDO"


def _check_shop(people: list[ShopCustomer], talks: list[Talk]) -> None:
    numbers = {c.order_number for c in people}
    for person, talk in zip(people, talks):
        search, tracking, promotions = talk.replies
        assert SKU.search(search), ("the search found products", person, search)
        assert person.order_number in tracking
        assert not any(n in tracking for n in numbers - {person.order_number}), "another session's order leaked"
        assert promotions.startswith(f"Tu nivel: {TIER_WORD[person.tier]}"), (person, promotions)
        assert talk.state["agent_history"] == ["product_agent", "tracking_agent", "promotions_agent"], talk.state
        assert talk.state["error_count"] == 0 and not talk.state["requires_human"]
