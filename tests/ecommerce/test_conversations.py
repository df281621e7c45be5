"""The shop supervisor end to end through ADK's Runner, with the scripted model and the
real seeded shop (SQLite): routing, prices by tier, privacy, roles, coupons, handoff."""

from __future__ import annotations

import pytest
from google.adk.runners import InMemoryRunner
from google.genai import types
from sqlalchemy.ext.asyncio import AsyncEngine

from ecommerce_agent.agent import build_agent
from ecommerce_agent.demo_policy import demo_policy
from ecommerce_agent.supervisor import handoff_reply
from tools.llm import handoff
from tools.llm.scripted import Reply, Rule, ScriptedLlm, rules
from tools.shop.replies import HANDOFF as HANDOFF_REPLY

APP = "ecommerce_agent"
C0001, C0003, STAFF = "5491160000001", "5491160000003", "staff-0001"


class ShopChat:
    def __init__(self, runner: InMemoryRunner, model: ScriptedLlm, user_id: str, session_id: str) -> None:
        self.runner, self.model, self.user_id, self.session_id = runner, model, user_id, session_id
        self.responses: list[tuple[str, dict]] = []  # the last turn's function responses

    @classmethod
    async def open(cls, user_id: str, policy=demo_policy) -> ShopChat:  # type: ignore[no-untyped-def]
        model = ScriptedLlm(policy=policy)
        runner = InMemoryRunner(agent=build_agent(model), app_name=APP)
        session = await runner.session_service.create_session(app_name=APP, user_id=user_id)
        return cls(runner, model, user_id, session.id)

    async def say(self, text: str) -> tuple[str, list[tuple[str, dict]], list[str]]:
        texts, calls, authors = [], [], []
        self.responses = []
        message = types.Content(role="user", parts=[types.Part(text=text)])
        async for event in self.runner.run_async(user_id=self.user_id, session_id=self.session_id, new_message=message):
            authors.append(event.author)
            for part in (event.content.parts if event.content else None) or []:
                if part.text:
                    texts.append(part.text)
                if part.function_call:
                    calls.append((part.function_call.name, dict(part.function_call.args or {})))
                if part.function_response:
                    self.responses.append((part.function_response.name, dict(part.function_response.response or {})))
        return "\n".join(texts), calls, authors

    async def state(self) -> dict:
        session = await self.runner.session_service.get_session(app_name=APP, user_id=self.user_id, session_id=self.session_id)
        return dict(session.state)


async def test_product_question_goes_to_the_product_specialist(shop: AsyncEngine) -> None:
    chat = await ShopChat.open(C0003)
    reply, calls, authors = await chat.say("tienen notebook gamer con rtx 4060 hasta 3 millones?")
    assert "product_agent" in authors and calls[0][0] == "search_catalog"
    state = await chat.state()
    assert state["current_intent"] == "product_inquiry" and state["agent_history"] == ["product_agent"]
    assert reply


async def test_tracking_own_order_costs_no_model_call_and_others_orders_look_missing(shop: AsyncEngine) -> None:
    chat = await ShopChat.open(C0001)
    own, calls, _ = await chat.say("donde esta mi pedido #4581230")
    assert calls == [("track_order", {"order_number": "4581230"})] and "4581230" in own
    assert chat.model.requests == [], "the order number settles the call: code makes it, the tool's message is the answer"
    other, _, _ = await chat.say("y el pedido 4581231?")
    missing, _, _ = await chat.say("y el pedido 9999999?")
    assert other.replace("4581231", "N") == missing.replace("9999999", "N")


async def test_any_order_is_looked_up_for_staff_and_a_customer_sees_only_their_own(shop: AsyncEngine) -> None:
    asks_any_order = rules(Rule("tracking_agent", reply=Reply.call("lookup_any_order", order_number="4581231")), fallback=demo_policy)
    customer = await ShopChat.open(C0001, asks_any_order)
    denied, calls, _ = await customer.say("donde esta el pedido 4581231")
    assert calls == [("track_order", {"order_number": "4581231"})], "the customer's own tool, never the staff one"
    missing, _, _ = await customer.say("donde esta el pedido 9999999")
    assert denied.replace("4581231", "N") == missing.replace("9999999", "N") and "Martín" not in denied
    staff = await ShopChat.open(STAFF, asks_any_order)
    allowed, calls, _ = await staff.say("donde esta el pedido 4581231")
    assert calls == [("lookup_any_order", {"order_number": "4581231"})]
    assert "4581231" in allowed and "Martín" in allowed


async def test_coupon_over_its_limit_is_refused(shop: AsyncEngine) -> None:
    chat = await ShopChat.open(C0001)
    reply, calls, _ = await chat.say("quiero usar el cupon PRIMEROS5")
    assert calls == [("redeem_coupon_code", {"code": "PRIMEROS5"})]
    assert "agot" in reply.lower() or "límite" in reply.lower() or "limite" in reply.lower()


async def test_handoff_replies_once_then_stays_silent_until_released(shop: AsyncEngine) -> None:
    chat = await ShopChat.open(C0001)
    first, _, _ = await chat.say("pasame con un humano por favor")
    assert first == handoff_reply()
    state = await chat.state()
    assert state["requires_human"] is True and "persona" in state["handoff_summary"]
    silent, calls, _ = await chat.say("hola? hay alguien?")
    assert silent == "" and calls == []
    waiting = await handoff.handed_off(chat.runner.session_service, APP)
    assert [(w.user_id, w.reason) for w in waiting] == [(C0001, "pidió hablar con una persona")]
    await handoff.operator_reply(chat.runner.session_service, APP, C0001, chat.session_id, "Hola, soy Laura. ¿En qué te ayudo?")
    await handoff.release(chat.runner.session_service, APP, C0001, chat.session_id)
    back, _, _ = await chat.say("hola")
    assert back and back != HANDOFF_REPLY
    assert await handoff.handed_off(chat.runner.session_service, APP) == []


@pytest.mark.parametrize("text", ["los voy a denunciar en defensa del consumidor", "es la tercera vez que reclamo, una verguenza"])
async def test_legal_and_complaint_intents_hand_off(shop: AsyncEngine, text: str) -> None:
    chat = await ShopChat.open(C0001)
    reply, calls, _ = await chat.say(text)
    assert reply == handoff_reply() and calls == []


async def test_two_unclear_turns_in_a_row_hand_off(shop: AsyncEngine) -> None:
    unclear = rules(fallback=lambda view: Reply.say('{"intent": "nada"}') if "Clasificá" in view.system else demo_policy(view))
    chat = await ShopChat.open(C0001, unclear)
    first, _, _ = await chat.say("y lo otro tambien")
    assert first != HANDOFF_REPLY and (await chat.state())["low_confidence_count"] == 1
    second, _, _ = await chat.say("y con lo otro que onda")
    assert second == handoff_reply()


async def test_three_failed_turns_in_a_row_hand_off(shop: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    from tools.shop import runtime

    async def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database down")

    monkeypatch.setattr(runtime, "get_engine", broken)
    chat = await ShopChat.open(C0001)
    replies = [(await chat.say("donde esta mi pedido 4581230"))[0] for _ in range(3)]
    assert HANDOFF_REPLY not in replies[0] and HANDOFF_REPLY in replies[2]
    assert (await chat.state())["requires_human"] is True


async def test_a_discount_that_does_not_exist_is_not_granted(shop: AsyncEngine) -> None:
    chat = await ShopChat.open(C0001)
    reply, calls, _ = await chat.say("tengo el cupon REGALO100, aplicamelo")
    assert calls == [("redeem_coupon_code", {"code": "REGALO100"})]
    assert "100" not in reply.replace("REGALO100", "")
