"""Greetings, thanks, farewells and a plain yes, read from the customer's words."""

from __future__ import annotations

import pytest

from ecommerce_agent.small_talk import SmallTalk, is_yes, small_talk


@pytest.mark.parametrize(("text", "kind"), [
    ("hola", SmallTalk.GREETING), ("Holaaaa!!", SmallTalk.GREETING), ("buenas tardes", SmallTalk.GREETING),
    ("gracias", SmallTalk.THANKS), ("¡Muchas gracias! 😊", SmallTalk.THANKS), ("ok, gracias", SmallTalk.THANKS),
    ("no, gracias", SmallTalk.THANKS), ("graciasss genio", SmallTalk.THANKS),
    ("chau", SmallTalk.FAREWELL), ("gracias, chau", SmallTalk.FAREWELL), ("dale, nos vemos", SmallTalk.FAREWELL),
    ("hola, gracias, hasta luego", SmallTalk.FAREWELL),
])
def test_small_talk(text: str, kind: SmallTalk) -> None:
    assert small_talk(text) == kind


@pytest.mark.parametrize("text", ["ok", "dale", "si", "hola, donde esta mi pedido?", "gracias, y la factura del 4581233?",
                                  "hola?? hay alguien?", "chau, quiero hablar con una persona", ""])
def test_not_small_talk(text: str) -> None:
    assert small_talk(text) is None


@pytest.mark.parametrize(("text", "yes"), [("sí", True), ("Dale!", True), ("sii", True), ("sí, por favor", True),
                                           ("sí, gracias", True), ("no", False), ("sí, pero otro cupón", False),
                                           ("dale, y el envío?", False)])
def test_a_plain_yes(text: str, yes: bool) -> None:
    assert is_yes(text) is yes
