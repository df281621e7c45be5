"""The customer's reply is what the turn finally says, never text a model wrote next to a function call."""

from __future__ import annotations

from google.adk.events import Event, EventActions
from google.genai import types

from gateway.turns import reply_text


def _event(author: str, *parts: types.Part, skip: bool = False) -> Event:
    return Event(invocation_id="i", author=author, content=types.Content(role="model", parts=list(parts)),
                 actions=EventActions(skip_summarization=skip))


def test_text_beside_a_function_call_is_not_the_reply() -> None:
    events = [
        Event(invocation_id="i", author="user", content=types.Content(role="user", parts=[types.Part(text="dos muzzas")])),
        _event("order_agent", types.Part(text='Voy a llamar a add_item_to_order {"item": "muzza"}'),
               types.Part(function_call=types.FunctionCall(name="add_item_to_order", args={"item": "muzza"}))),
        _event("order_agent", types.Part(function_response=types.FunctionResponse(
            name="add_item_to_order", response={"message": "Agregué 2 x Muzzarella grande."})), skip=True),
        _event("pizzeria", types.Part(text="Agregué 2 x Muzzarella grande. ¿Algo más?")),
    ]
    assert reply_text(events) == "Agregué 2 x Muzzarella grande. ¿Algo más?"


def test_every_final_text_of_the_turn_is_said() -> None:
    events = [_event("pizzeria", types.Part(text="¡Hola!")), _event("pizzeria", types.Part(text="¿Qué vas a pedir?"))]
    assert reply_text(events) == "¡Hola!\n¿Qué vas a pedir?"
