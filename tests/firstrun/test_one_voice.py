"""One speaker per agent: every text the customer reads is the coordinator's, whichever specialist wrote it."""

from __future__ import annotations

from google.adk.runners import InMemoryRunner
from google.genai import types

from gateway.turns import model_calls
from pizzeria_agent.agent import build_agent
from pizzeria_agent.demo_policy import demo_policy
from tools.llm.scripted import ScriptedLlm

DIALOGUE = ["hola", "me llamo Ana", "¿qué empanadas tienen?", "dos de carne", "eso es todo", "sí", "Av. Corrientes 1234", "efectivo"]


async def test_every_text_in_an_order_is_said_by_the_pizzeria() -> None:
    runner = InMemoryRunner(agent=build_agent(ScriptedLlm(policy=demo_policy)), app_name="pizzeria_agent")
    session = await runner.session_service.create_session(app_name="pizzeria_agent", user_id="5491100000042")
    speakers: set[str] = set()
    specialists_called: set[str] = set()
    menu_turn: list = []
    for text in DIALOGUE:
        events = [event async for event in runner.run_async(
            user_id=session.user_id, session_id=session.id, new_message=types.Content(role="user", parts=[types.Part(text=text)]))]
        speakers |= {e.author for e in events if e.content and any(p.text for p in e.content.parts or [])}
        specialists_called |= {e.author for e in events if e.get_function_calls()}
        if "empanadas" in text:
            menu_turn = events
    assert speakers == {"pizzeria"}
    assert {"menu_agent"} <= specialists_called  # calls keep their author (items and saving are code's)
    assert model_calls(menu_turn, "pizzeria") == 2  # the menu call and the text answer, relabeled or not
