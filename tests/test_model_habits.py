"""What real small models do, absorbed in code (issue 12, point 6), with the scripted model.

Tool calls written as text run as calls and are never shown; a call repeated in one
response or after it ran runs once; another specialist's tool is refused naming the
specialist's own; a text answer where a call was due is asked again once; an echoed
instruction never reaches the customer; the server apology claims nothing untrue.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.adk.agents import LlmAgent
from google.adk.runners import InMemoryRunner
from google.adk.tools import ToolContext
from google.genai import types

from pizzeria_agent.demo_policy import demo_policy
from tests.chat import Chat, saved_orders
from tests.pizzeria.helpers import KNOWN, lines
from tools.llm import replies
from tools.llm.guards import guards
from tools.llm.scripted import Reply, Rule, ScriptedLlm, View, rules

ADD_TWO = {"name": "add_item_to_order", "arguments": {"item": "muzza", "quantity": 2, "size": "grande"}}
ADD_FUGA = {"name": "add_item_to_order", "arguments": {"item": "fugazzeta", "quantity": 1, "size": "chica"}}
WRITTEN = {
    "json object": json.dumps(ADD_TWO),
    "json list": json.dumps([ADD_TWO, ADD_FUGA]),
    "qwen tags": f"Dale, te lo agrego.\n<tool_call>\n{json.dumps(ADD_TWO)}\n</tool_call>\n<tool_call>\n{json.dumps(ADD_FUGA)}\n</tool_call>",
    "fenced, parameters": "```json\n" + json.dumps({"name": "add_item_to_order", "parameters": ADD_TWO["arguments"]}) + "\n```",
    "python style": 'add_item_to_order(item="muzza", quantity=2, size="grande")',
}
EXPECTED = {
    "json object": {("muzzarella", "grande", 2)},
    "json list": {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)},
    "qwen tags": {("muzzarella", "grande", 2), ("fugazzeta", "chica", 1)},
    "fenced, parameters": {("muzzarella", "grande", 2)},
    "python style": {("muzzarella", "grande", 2)},
}


async def _order_chat(reply: Reply | Any, user: str = "muzza") -> Chat:
    chat = await Chat.open(rules(Rule("order_agent", user, reply=reply), fallback=demo_policy), user_id=KNOWN)
    await chat.say("hola")
    return chat


@pytest.mark.parametrize("shape", WRITTEN)
async def test_a_call_written_as_text_runs_and_is_never_shown(shape: str) -> None:
    chat = await _order_chat(Reply.say(WRITTEN[shape]))
    said = "dos muzzas grandes y una fuga chica" if len(EXPECTED[shape]) == 2 else "dos muzzas grandes"
    turn = await chat.say(f"{said} para la juntada")  # a word code does not read: the model is asked
    assert lines(await chat.state()) == EXPECTED[shape]
    assert "add_item_to_order" not in turn.reply and "{" not in turn.reply and "tool_call" not in turn.reply
    assert "Agregué" in turn.reply and turn.model_calls == 1, "the tool's message ended the turn"


async def test_text_that_only_looks_like_json_stays_text() -> None:
    said = 'La muzza {la clásica} es la más pedida [promo de la casa] y {"precio": "el del menú"}.'
    chat = await Chat.open(rules(Rule("menu_agent", ".*", reply=Reply.say(said)), fallback=demo_policy), user_id=KNOWN)
    await chat.say("hola")
    turn = await chat.say("qué me recomendás del menú?")
    assert said in turn.reply


async def test_a_call_repeated_in_one_response_runs_once() -> None:
    chat = await Chat.open(rules(Rule("confirmation_agent", ".*", reply=Reply(calls=[("confirm_order", {})] * 5)),
                                 fallback=demo_policy), user_id=KNOWN)
    for text in ("hola", "una muzza grande", "eso es todo"):
        await chat.say(text)
    turn = await chat.say("bueno mandalo así nomás")
    assert [name for name, _ in turn.tool_calls].count("confirm_order") == 1
    assert (await chat.state())["order_confirmed"] is True and "Perdón" not in turn.reply


async def test_a_call_repeated_after_it_ran_runs_once_and_its_answer_is_said() -> None:
    again = Reply.call("get_menu", category="pizzas")
    chat = await Chat.open(rules(Rule("menu_agent", ".*", reply=again), Rule("menu_agent", ".*", after="get_menu", reply=again),
                                 fallback=demo_policy), user_id=KNOWN)
    await chat.say("hola")
    turn = await chat.say("qué pizzas tienen?")
    assert [name for name, _ in turn.tool_calls] == ["get_menu"], "the second get_menu never ran"
    assert turn.model_calls == 2 and "Muzzarella" in turn.reply and replies.TOO_MANY_CALLS not in turn.reply


async def test_another_specialists_tool_is_refused_naming_the_specialists_own() -> None:
    chat = await _order_chat(Reply.call("confirm_order"), user=".*")
    turn = await chat.say("quiero algo rico para la juntada")
    refusals = [r["error"] for v in chat.model.requests for name, r in v.responses if name == "confirm_order"]
    assert refusals and "Tus herramientas son: add_item_to_order, remove_item_from_order, change_item, get_current_order" in refusals[0]
    assert "confirm_order" not in turn.reply and "herramienta" not in turn.reply, "the refusal is for the model"
    assert not saved_orders()


def _claims_then_calls(view: View) -> Reply:
    return Reply.call("confirm_order") if view.nudged else Reply.say("¡Listo! Tu pedido quedó confirmado.")


async def test_text_claiming_an_action_no_tool_took_is_asked_again() -> None:
    chat = await Chat.open(rules(Rule("confirmation_agent", ".*", reply=_claims_then_calls), fallback=demo_policy), user_id=KNOWN)
    for text in ("hola", "una muzza grande", "eso es todo"):
        await chat.say(text)
    turn = await chat.say("bueno mandalo así nomás")
    assert (await chat.state())["order_confirmed"] is True, "asked again, the model called confirm_order"
    assert turn.model_calls == 2 and "Listo! Tu pedido quedó" not in turn.reply


# --------------------------------------------------------------------------- one agent of our own


def record_note(text: str, tool_context: ToolContext) -> dict[str, Any]:
    """Anota algo."""
    tool_context.state["notes"] = [*(tool_context.state.get("notes") or []), text]
    return {"ok": True, "message": f"Anotado: {text}."}


def look_up(query: str) -> dict[str, Any]:
    """Busca algo."""
    return {"ok": True, "message": f"Encontré {query}."}


async def _run_note_agent(policy: Any, **rules_: Any) -> tuple[str, dict[str, Any], ScriptedLlm]:
    model = ScriptedLlm(policy=policy)
    agent = LlmAgent(name="note_agent", model=model, instruction="Anotás lo que dice el cliente con record_note.",
                     tools=[record_note, look_up], **guards(**rules_))
    runner = InMemoryRunner(agent=agent, app_name="notes")
    session = await runner.session_service.create_session(app_name="notes", user_id="u")
    texts = []
    message = types.Content(role="user", parts=[types.Part(text="anotá leche y leche")])
    async for event in runner.run_async(user_id="u", session_id=session.id, new_message=message):
        if event.is_final_response() and event.content:
            texts += [p.text for p in event.content.parts or [] if p.text]
    final = await runner.session_service.get_session(app_name="notes", user_id="u", session_id=session.id)
    assert final is not None
    return "\n".join(texts), dict(final.state), model


async def test_a_declared_due_tool_is_asked_again_with_only_it_and_forced() -> None:
    def policy(view: View) -> Reply | None:
        if view.responses:
            return None
        return Reply.call("record_note", text="leche") if view.forced else Reply.say("Claro, ¿algo más?")

    reply, state, model = await _run_note_agent(policy, due={"record_note"})
    first, again = model.requests[0], model.requests[1]
    assert sorted(first.tools) == ["look_up", "record_note"] and not first.forced
    assert again.tools == ["record_note"] and again.forced and again.nudged and again.user_text == "anotá leche y leche"
    assert state["notes"] == ["leche"] and "Anotado: leche." in reply


async def test_a_tool_that_checks_its_own_repeats_is_left_alone() -> None:
    twice = Reply(calls=[("record_note", {"text": "pan"}), ("record_note", {"text": "pan"})])
    policy = rules(Rule("note_agent", ".*", reply=twice))
    _, state, _ = await _run_note_agent(policy)
    assert state["notes"] == ["pan"], "'pan' is not in the customer's words twice: run once"
    _, state, _ = await _run_note_agent(policy, own_repeat_check={"record_note"})
    assert state["notes"] == ["pan", "pan"]


async def test_a_repeat_the_customer_asked_for_runs_again() -> None:
    twice = Reply(calls=[("record_note", {"text": "leche"}), ("record_note", {"text": "leche"})])
    _, state, _ = await _run_note_agent(rules(Rule("note_agent", ".*", reply=twice)))
    assert state["notes"] == ["leche", "leche"], "the customer wrote 'leche' twice"


# --------------------------------------------------------------------------- echoes


@pytest.mark.parametrize("echo", ["instruction", "tool name", "schema"])
async def test_an_echoed_instruction_or_schema_never_reaches_the_customer(echo: str) -> None:
    def answer(view: View) -> Reply:
        return Reply.say({
            "instruction": view.system,
            "tool name": "Para eso uso add_item_to_order, decime qué querés.",
            "schema": '{"type": "object", "properties": {"item": {"type": "string"}}}',
        }[echo])

    chat = await _order_chat(answer, user=".*")
    turn = await chat.say("quiero algo rico para la juntada")
    assert turn.reply == replies.CONFUSED


async def test_repeating_the_previous_reply_is_not_an_echo() -> None:
    def answer(view: View) -> Reply:
        previous = view.prompt_text.split("Tu último mensaje fue: «", 1)[1].split("»", 1)[0]  # the turn's context
        return Reply.say(f"Te repito lo que te dije: {previous}")

    chat = await _order_chat(Reply.call("add_item_to_order", item="dos muzzas grandes y una fugazzeta chica y una coca"))
    await chat.say("dos muzzas grandes y una fugazzeta chica y una coca")
    chat.model.policy = rules(Rule("order_agent", ".*", reply=answer), fallback=demo_policy)
    turn = await chat.say("quiero una muzza? no entendí")
    assert "Te repito lo que te dije: Agregué 2 x Muzzarella grande" in turn.reply


def test_the_server_apology_claims_nothing_it_does_not_know() -> None:
    assert "guardado" not in replies.MODEL_DOWN and replies.MODEL_DOWN.startswith("Perdón")
    assert replies.model_down(kept=True).endswith(replies.KEPT)
