"""Orders are never lost or duplicated: idempotent finalize, concurrency, crashes."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
from pathlib import Path

import pytest

from pizzeria_agent.demo_policy import demo_policy
from tests.chat import Chat, saved_orders, shared_runner
from tests.pizzeria.helpers import price
from tools.jsonstore import StoreError, write_atomic
from tools.llm.scripted import ScriptedLlm
from tools.pizzeria import operations, stores
from tools.pizzeria.state import initial_state
from tools.settings import get_settings


async def _ready_to_finalize(chat: Chat) -> None:
    await chat.say("hola")
    await chat.say("una muzza grande")
    await chat.say("eso es todo")
    await chat.say("sí, pago en efectivo")  # the payment method named with the yes is not asked again


async def test_the_address_saves_one_order_in_code() -> None:
    chat = await Chat.open(user_id="5491155550103")
    await _ready_to_finalize(chat)
    turn = await chat.say("Belgrano 1500, Quilmes")
    again = await chat.say("Belgrano 1500, Quilmes")
    orders = saved_orders()
    assert len(orders) == 1 and turn.model_calls == 0, "no model call stands between the address and the saved order"
    assert turn.reply.count(f"#{orders[0]['order_id']}") == 1
    assert f"#{orders[0]['order_id']}" not in again.reply


async def test_finalize_retried_after_a_lost_state_write_returns_the_same_order() -> None:
    state = initial_state("5491155550103") | {
        "current_order": {"items": [{"item_id": "muzzarella", "size": "grande", "quantity": 1}], "total": 0},
        "order_confirmed": True,
        "address": "Belgrano 1500",
        "payment_method": "efectivo",
        "user_name": "Carlos",
    }
    first = operations.finalize(state)
    # The process dies before the session stored first.delta; the retry sees the old state.
    second = operations.finalize(state)
    assert first.data["order_id"] == second.data["order_id"]
    (order,) = saved_orders()
    assert order["total"] == price("muzzarella", "grande"), "totals come from the menu, not from state"


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"current_order": {"items": [], "total": 0}}, "nada"), ({"order_confirmed": False}, "confirmes"), ({"address": None}, "dirección"),
     ({"payment_method": None}, "pagar")],
)
def test_finalize_refuses_incomplete_orders(change: dict, reason: str) -> None:
    state = initial_state("u1") | {
        "current_order": {"items": [{"item_id": "muzzarella", "size": "grande", "quantity": 1}], "total": 0},
        "order_confirmed": True,
        "address": "Belgrano 1500",
        "payment_method": "efectivo",
    } | change
    outcome = operations.finalize(state)
    assert not outcome.ok and reason in outcome.message
    assert saved_orders() == []


async def test_two_sessions_finalizing_at_the_same_time() -> None:
    model = ScriptedLlm(policy=demo_policy, latency_s=0.001)
    runner = shared_runner(model)
    chats = [await Chat.open(runner=runner, model=model, user_id=f"54911000000{i:02d}") for i in range(2)]
    for chat, name in zip(chats, ["Ana", "Beto"]):
        await chat.say("hola")
        await chat.say(f"me llamo {name}")
        await chat.say("dos empanadas de carne")
        await chat.say("eso es todo")
        await chat.say("si")
    await asyncio.gather(*(chat.say(f"Lavalle {100 + i}, pago en efectivo") for i, chat in enumerate(chats)))
    orders = saved_orders()
    assert sorted(o["user_id"] for o in orders) == sorted(c.user_id for c in chats)
    assert len({o["order_id"] for o in orders}) == 2


def _save_in_process(args: tuple[str, str, int]) -> int:
    data_dir, key, n = args
    store = stores.OrderStore(Path(data_dir))
    record = {"user_id": f"u{n}", "customer_name": None, "items": [], "total": n, "address": "x 1"}
    saved, _ = store.save_once(key, record)
    return saved.order_id


def test_processes_racing_on_the_same_file_never_lose_or_duplicate(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    keys = [f"key-{i % 12}" for i in range(36)]  # every key submitted three times
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        ids = pool.map(_save_in_process, [(str(data_dir), k, i) for i, k in enumerate(keys)])
    orders = json.loads((data_dir / "pedidos.json").read_text())
    assert len(orders) == 12 and len({o["order_key"] for o in orders}) == 12
    assert len({o["order_id"] for o in orders}) == 12
    by_key = {o["order_key"]: o["order_id"] for o in orders}
    assert all(by_key[k] == i for k, i in zip(keys, ids))


def test_crash_between_write_and_rename_leaves_the_previous_file(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = stores.orders()
    store.save_once("first", {"user_id": "u", "customer_name": None, "items": [], "total": 1, "address": "x 1"})
    before = (data_dir / "pedidos.json").read_bytes()

    def crash(*_: object) -> None:
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StoreError):
        store.save_once("second", {"user_id": "u", "customer_name": None, "items": [], "total": 2, "address": "x 1"})
    assert (data_dir / "pedidos.json").read_bytes() == before
    assert not [p for p in data_dir.iterdir() if p.suffix == ".tmp"], "temp file cleaned up"
    monkeypatch.undo()
    store.save_once("second", {"user_id": "u", "customer_name": None, "items": [], "total": 2, "address": "x 1"})
    assert [o["order_key"] for o in saved_orders()] == ["first", "second"]


async def test_store_failure_during_finalize_keeps_the_order_and_can_be_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    chat = await Chat.open(user_id="5491155550103")
    await _ready_to_finalize(chat)

    def disk_full(path: Path, data: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tools.jsonstore.write_atomic", disk_full)
    failed = await chat.say("Belgrano 1500, Quilmes")
    state = await chat.state()
    assert "problema guardando" in failed.reply
    assert state["conversation_phase"] == "FINALIZACION" and state["current_order"]["items"]
    monkeypatch.setattr("tools.jsonstore.write_atomic", write_atomic)
    done = await chat.say("¿y? ¿salió?")
    (order,) = saved_orders()
    assert f"#{order['order_id']}" in done.reply
    assert (await chat.state())["conversation_phase"] == "TOMANDO_PEDIDO"


def test_runtime_files_live_in_the_data_dir_not_in_data(data_dir: Path) -> None:
    seed = get_settings().pizzeria_seed_dir / "clientes.json"
    seed_before = seed.read_bytes()
    stores.customers().register("5491199990000", "Nueva Persona")
    assert seed.read_bytes() == seed_before
    assert (data_dir / "clientes.json").exists()
    assert stores.customers().get("5491199990000").name == "Nueva Persona"
    assert stores.customers().get("5491155550101").name == "Juan Pérez"  # seeded from data/ on first use
