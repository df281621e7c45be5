"""Conversations as customers type them (issue 13), one YAML file per kind of repair.

The files in `tests/pizzeria/conversations/` were written from the issue and the menu by
someone who did not write the pizzeria code. Each conversation runs through the real
agent with the demo policy (a literal small model that passes the customer's words to
the tools), and is judged on what was saved and on the state, never on the wording.

A conversation (see `conversations/README.md` for the full format):

    id, who ("new" or a phone from data/pizzeria/clientes.json), at (local clock, optional),
    past_orders (seeded in the real order store first), turns, expect

A turn is a customer message (a string), a message with checks after it
(`{say, phase, order, orders_saved, user_name, model_calls, reply_has}`), a checks-only
step (`{check: {...}}`), or `{checkout: {address, payment}}`: the customer's answers to the
delivery questions, each sent only when the bot asks it (the payment when its last reply is
about paying, the address at the address step), so the test does not fix which comes first,
and only while the order is not saved.

Fields the code does not model yet are compared only where a conversation lists them,
read tolerantly from the saved line or order by the adapters below:
- payment: `payment_method` (or `payment`) on the order; compared by the expected word
  appearing in it (accents, case and spaces ignored: "Mercado Pago" ~ "mercadopago").
- halves: `halves` (two item ids, or dicts with `item_id`/`id`) or `half` (the other half,
  beside the line's own `item_id`) on the line; compared as the set of the two items.
- notes: `notes` (or `note`) on the line, a string or a list; each expected note must appear.
The expected total is computed here from the menu (a half-and-half at the dearer half's price):
the saved lines' `subtotal`s must add up to it, and the order's `total` is that plus a delivery
fee kept on the order under a key naming it (`delivery_fee`, `fee`, `envio`...), if any.

On a real model: `CONVERSATIONS_MODEL=openai/<alias>` (with `OLLAMA_API_BASE`, `OPENAI_API_KEY`
and `LLM_SLOTS` as `python -m eval.real serve` prints them) runs the same conversations on that
model instead of the demo policy; `model_calls` checks are then not counted (the counter is the
scripted model's).

The clock: every conversation runs at `at` (default: a Friday 21:00, open); the runner
sets `PIZZERIA_NOW` to that instant and makes `datetime.now()`/`date.today()` return it in
every `tools.pizzeria` and `pizzeria_agent` module (whether they import the class or the module).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import pkgutil
import re
import sys
import types
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
import yaml
from google.adk.runners import InMemoryRunner

from pizzeria_agent.agent import build_agent
from pizzeria_agent.demo_policy import demo_policy
from tests.chat import APP, Chat, saved_orders
from tools.llm.models import build_model
from tools.llm.scripted import ScriptedLlm
from tools.pizzeria import stores
from tools.pizzeria.business import load_business
from tools.pizzeria.menu import load_menu
from tools.settings import get_settings
from tools.text import normalize

HERE = Path(__file__).parent / "conversations"
CLIENTS = json.loads((Path(__file__).parents[2] / "data" / "pizzeria" / "clientes.json").read_text(encoding="utf-8"))
OPEN_AT = "2026-12-04T21:00:00-03:00"  # a Friday night: any pizzeria is open
LOCAL = ZoneInfo("America/Argentina/Buenos_Aires")
CHECK_KEYS = {"phase", "order", "orders_saved", "user_name", "model_calls", "reply_has"}


def load_conversations() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(HERE.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        found += [(doc["kind"], conversation) for conversation in doc["conversations"]]
    return found


CONVERSATIONS = load_conversations()


# --- reading what was saved (tolerant of fields not modelled yet) ---------------------------

def _ids(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v.get("item_id") or v.get("id") if isinstance(v, dict) else v for v in values]


def halves_of(line: dict[str, Any]) -> frozenset[str] | None:
    """The two items of a half-and-half line, or None for a whole pizza."""
    if line.get("halves"):
        ids = _ids(line["halves"])
        return frozenset(ids if len(ids) > 1 else [line.get("item_id"), *ids])
    if line.get("half"):
        return frozenset([line.get("item_id"), *_ids(line["half"])])
    return None


def notes_of(line: dict[str, Any]) -> str:
    notes = line.get("notes", line.get("note")) or ""
    return normalize(" ".join(notes) if isinstance(notes, list) else str(notes))


def payment_of(order: dict[str, Any]) -> str:
    return normalize(str(order.get("payment_method") or order.get("payment") or "")).replace(" ", "")


def _key(line: dict[str, Any]) -> tuple[Any, str]:
    halves = halves_of(line) if "item_id" in line else (frozenset(line["halves"]) if line.get("halves") else None)
    return (halves or line.get("item_id", line.get("item")), line["size"])


def _show(key: tuple[Any, str]) -> str:
    what, size = key
    return f"{'/'.join(sorted(what)) if isinstance(what, frozenset) else what} {size}"


def compare_lines(got: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> list[str]:
    """Differences between the order's lines and the expected ones (empty when they agree)."""
    have = Counter()
    notes: dict[tuple[Any, str], str] = {}
    for line in got:
        have[_key(line)] += line["quantity"]
        notes[_key(line)] = (notes.get(_key(line), "") + " " + notes_of(line)).strip()
    want = Counter()
    for line in wanted:
        want[_key(line)] += line.get("quantity", 1)
    problems = [f"{_show(k)}: {have[k]} instead of {want[k]}" for k in sorted(set(have) | set(want), key=_show) if have[k] != want[k]]
    for line in wanted:
        for note in line.get("notes", []):
            if normalize(note) not in notes.get(_key(line), ""):
                problems.append(f"{_show(_key(line))}: note {note!r} missing (notes: {notes.get(_key(line))!r})")
    return problems


def expected_total(wanted: list[dict[str, Any]]) -> int:
    menu = load_menu()
    total = 0
    for line in wanted:
        items = line.get("halves") or [line["item"]]
        total += max(menu.item(i).prices[line["size"]] for i in items) * line.get("quantity", 1)
    return total


def delivery_fee_of(order: dict[str, Any]) -> int:
    """A delivery fee kept on the saved order (`delivery_fee`, `fee`, `envio`...), else 0."""
    fees = [v for k, v in order.items() if isinstance(v, int) and any(w in k for w in ("fee", "envio", "delivery", "shipping"))]
    return fees[0] if fees else 0


def total_problems(order: dict[str, Any], wanted: int) -> list[str]:
    """The lines must add up to the menu's prices; the total is that plus the delivery fee, if any."""
    lines_total = sum(i.get("subtotal", 0) for i in order["items"])
    problems = [] if lines_total == wanted else [f"saved lines add up to {lines_total} instead of {wanted}"]
    if order["total"] != wanted + delivery_fee_of(order):
        problems.append(f"saved total {order['total']} instead of {wanted} + delivery fee {delivery_fee_of(order)}")
    return problems


def priced_lines(wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Saved-order lines for a seeded past order (whole items only), priced from the menu."""
    menu = load_menu()
    out = []
    for line in wanted:
        item, quantity = menu.item(line["item"]), line.get("quantity", 1)
        unit = item.prices[line["size"]]
        out.append({"item_id": item.id, "name": item.name, "size": line["size"], "size_label": menu.size_label(item, line["size"]),
                    "quantity": quantity, "unit_price": unit, "subtotal": unit * quantity})
    return out


# --- the clock ----------------------------------------------------------------------------

class _FrozenDate(dt.date):
    at: ClassVar[dt.datetime]

    @classmethod
    def today(cls) -> dt.date:
        return cls.at.astimezone(LOCAL).date()


class _FrozenDatetime(dt.datetime):
    at: ClassVar[dt.datetime]

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
        return cls.at.astimezone(tz) if tz else cls.at.astimezone(LOCAL).replace(tzinfo=None)

    @classmethod
    def utcnow(cls) -> dt.datetime:  # type: ignore[override]
        return cls.at.astimezone(dt.UTC).replace(tzinfo=None)

    @classmethod
    def today(cls) -> dt.datetime:  # type: ignore[override]
        return cls.now()


def _our_modules() -> Iterator[types.ModuleType]:
    for package in ("tools.pizzeria", "pizzeria_agent"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            importlib.import_module(info.name)
    yield from [m for name, m in list(sys.modules.items()) if name.startswith(("tools.pizzeria", "pizzeria_agent")) and m]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    def set_to(iso: str) -> None:
        moment = dt.datetime.fromisoformat(iso)
        _FrozenDatetime.at = _FrozenDate.at = moment
        monkeypatch.setenv("PIZZERIA_NOW", moment.isoformat())
        frozen_module = types.ModuleType("datetime")
        frozen_module.__dict__.update(vars(dt) | {"datetime": _FrozenDatetime, "date": _FrozenDate})
        for module in _our_modules():
            for name, value in list(vars(module).items()):
                if value is dt.datetime:
                    monkeypatch.setattr(module, name, _FrozenDatetime)
                elif value is dt.date:
                    monkeypatch.setattr(module, name, _FrozenDate)
                elif value is dt:
                    monkeypatch.setattr(module, name, frozen_module)
        from tools.settings import get_settings
        get_settings.cache_clear()
    return set_to


# --- running one conversation ---------------------------------------------------------------

def _phone(conversation: dict[str, Any]) -> str:
    who = str(conversation.get("who", "new"))
    if who != "new":
        assert who in CLIENTS, f"{who} is not in data/pizzeria/clientes.json"
        return who
    return "54911990" + f"{sum(map(ord, conversation['id'])) * 7919 % 100000:05d}"


def _mine(user_id: str) -> list[dict[str, Any]]:
    return [o for o in saved_orders() if o["user_id"] == user_id]


async def _check(chat: Chat, checks: dict[str, Any], turn: Any, seeded: int, where: str) -> list[str]:
    state = await chat.state()
    problems = []
    if "phase" in checks and state["conversation_phase"] != checks["phase"]:
        problems.append(f"phase {state['conversation_phase']} instead of {checks['phase']}")
    if "order" in checks:
        problems += [f"order: {p}" for p in compare_lines(state["current_order"]["items"], checks["order"] or [])]
    if "orders_saved" in checks and len(_mine(chat.user_id)) - seeded != checks["orders_saved"]:
        problems.append(f"{len(_mine(chat.user_id)) - seeded} orders saved instead of {checks['orders_saved']}")
    if "user_name" in checks and normalize(state.get("user_name") or "") != normalize(checks["user_name"] or ""):
        problems.append(f"user_name {state.get('user_name')!r} instead of {checks['user_name']!r}")
    if turn is not None and "model_calls" in checks and not REAL_MODEL and turn.model_calls != checks["model_calls"]:
        problems.append(f"{turn.model_calls} model calls instead of {checks['model_calls']}")
    if turn is not None:
        problems += [f"reply lacks {fact!r}" for fact in checks.get("reply_has", []) if fact not in turn.reply]
    return [f"{where}: {p}" for p in problems]


_ASKS_PAYMENT = re.compile(r"\b(pag\w*|abon\w*|efectivo|transferencia|mercado ?pago|medio de pago|tarjeta)\b")


async def _checkout(chat: Chat, answers: dict[str, str], seeded: int) -> None:
    """Answer the delivery questions as the bot asks them, until the order is saved.

    The customer answers only what is asked: the payment when the bot's last reply is
    about paying, the address when the bot is at the address step; anything else ends it.
    """
    pending = dict(answers)
    for _ in range(4):
        state = await chat.state()
        if len(_mine(chat.user_id)) > seeded or not pending:
            return
        phase = state["conversation_phase"]
        if phase in ("SALUDO", "TOMANDO_PEDIDO"):
            return  # the bot is not at the delivery step: the expectations will tell
        last_reply = normalize(chat.turns[-1].reply) if chat.turns else ""
        if _ASKS_PAYMENT.search(last_reply):
            step = "payment"
        elif phase == "RECOGIENDO_DIRECCION":
            step = "address"
        elif phase != "CONFIRMANDO_PEDIDO":
            step = "payment"
        else:
            return
        if step not in pending:
            return
        await chat.say(pending.pop(step))


REAL_MODEL = os.environ.get("CONVERSATIONS_MODEL", "")


async def _open_chat(user_id: str) -> Chat:
    """The conversation's chat on the demo policy, or on `CONVERSATIONS_MODEL` when it is set."""
    if not REAL_MODEL:
        return await Chat.open(demo_policy, user_id=user_id)
    os.environ["LLM_MODEL"] = REAL_MODEL
    get_settings.cache_clear()
    runner = InMemoryRunner(agent=build_agent(build_model()), app_name=APP)
    return await Chat.open(runner=runner, model=ScriptedLlm(), user_id=user_id)


async def run(conversation: dict[str, Any]) -> list[str]:
    user_id = _phone(conversation)
    seeded = 0
    for n, past in enumerate(conversation.get("past_orders", [])):
        items = priced_lines(past["lines"])
        stores.orders().save_once(f"past-{conversation['id']}-{n}", {
            "user_id": user_id, "customer_name": CLIENTS.get(user_id, {}).get("name"), "items": items,
            "total": sum(i["subtotal"] for i in items), "address": past["address"], "channel": "web"})
        seeded += 1
    chat = await _open_chat(user_id)
    problems: list[str] = []
    for n, step in enumerate(conversation["turns"], 1):
        if isinstance(step, str):
            await chat.say(step)
        elif "checkout" in step:
            await _checkout(chat, step["checkout"], seeded)
        elif "check" in step:
            problems += await _check(chat, step["check"], None, seeded, f"after step {n}")
        else:
            turn = await chat.say(step["say"])
            problems += await _check(chat, step, turn, seeded, f"after {step['say']!r}")
    expect = conversation["expect"]
    saved = expect.get("saved")
    mine = _mine(user_id)[seeded:]
    count = expect.get("orders_saved", 1 if saved else 0)
    if len(mine) != count:
        problems.append(f"{len(mine)} orders saved instead of {count}")
    if saved and mine:
        order = mine[-1]
        problems += [f"saved: {p}" for p in compare_lines(order["items"], saved["lines"])]
        problems += total_problems(order, expected_total(saved["lines"]))
        if "address" in saved and normalize(saved["address"]) not in normalize(order["address"]):
            problems.append(f"saved address {order['address']!r} lacks {saved['address']!r}")
        if "name" in saved and normalize(order.get("customer_name") or "") != normalize(saved["name"]):
            problems.append(f"saved name {order.get('customer_name')!r} instead of {saved['name']!r}")
        if "payment" in saved and normalize(saved["payment"]).replace(" ", "") not in payment_of(order):
            problems.append(f"saved payment {order.get('payment_method', order.get('payment'))!r} instead of {saved['payment']!r}")
    problems += await _check(chat, {k: v for k, v in expect.items() if k in CHECK_KEYS}, None, seeded, "at the end")
    return problems


def _cases() -> list[Any]:
    return [pytest.param(k, c, id=f"{k}/{c['id']}") for k, c in CONVERSATIONS]


@pytest.mark.parametrize("kind,conversation", _cases())
async def test_customer_conversation(kind: str, conversation: dict[str, Any], clock) -> None:
    clock(conversation.get("at", OPEN_AT))
    problems = await run(conversation)
    assert not problems, f"{kind}/{conversation['id']}:\n  " + "\n  ".join(problems)


# --- the data itself ------------------------------------------------------------------------

def _line_problems(line: dict[str, Any], where: str) -> list[str]:
    menu = load_menu()
    on_menu = {item.id: item for item in menu.items}
    items = line.get("halves") or [line.get("item")]
    problems = [f"{where}: unknown item {i!r}" for i in items if i not in on_menu]
    problems += [f"{where}: {i} has no size {line.get('size')!r}" for i in items if i in on_menu and line.get("size") not in on_menu[i].prices]
    if line.get("halves"):
        pizzas = {i.id for c in menu.categories if c.id == "pizzas" for i in c.items}
        problems += [f"{where}: half-and-half needs two pizzas" for _ in [0] if len(items) != 2 or not set(items) <= pizzas]
    if not isinstance(line.get("quantity", 1), int) or line.get("quantity", 1) < 1:
        problems.append(f"{where}: bad quantity")
    return problems


def test_the_conversations_are_valid_and_enough() -> None:
    problems = []
    ids = [c["id"] for _, c in CONVERSATIONS]
    problems += [f"duplicate id {i}" for i, n in Counter(ids).items() if n > 1]
    for kind, c in CONVERSATIONS:
        where = f"{kind}/{c['id']}"
        if str(c.get("who", "new")) not in {"new", *CLIENTS}:
            problems.append(f"{where}: unknown phone {c['who']}")
        lines = [*((c["expect"].get("saved") or {}).get("lines", [])), *(c["expect"].get("order") or [])]
        lines += [line for past in c.get("past_orders", []) for line in past["lines"]]
        lines += [line for s in c["turns"] if isinstance(s, dict) for line in (s.get("order") or s.get("check", {}).get("order") or [])]
        for line in lines:
            problems += _line_problems(line, where)
        saved = c["expect"].get("saved") or {}
        for step in c["turns"]:
            checkout = step.get("checkout", {}) if isinstance(step, dict) else {}
            zone = load_business().address_zone(checkout.get("address", ""))
            if zone and saved.get("lines") and expected_total(saved["lines"]) < zone.minimum:
                problems.append(f"{where}: the saved order is below {zone.barrio}'s minimum ({zone.minimum})")
            if isinstance(step, dict) and not ({"say", "check", "checkout"} & set(step)):
                problems.append(f"{where}: a step with nothing to say or check: {step}")
            if isinstance(step, dict) and "say" in step and set(step) - CHECK_KEYS - {"say"}:
                problems.append(f"{where}: unknown checks {set(step) - CHECK_KEYS - {'say'}}")
    assert not problems, "\n".join(problems)
    assert len(CONVERSATIONS) >= 40
    assert len({k for k, _ in CONVERSATIONS}) >= 10
