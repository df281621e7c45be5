"""A customer's name, given or corrected at any point, is the name on file and on the order."""

from __future__ import annotations

from tests.chat import Chat, saved_orders
from tests.pizzeria.helpers import KNOWN, chat_with_order, lines
from tools.pizzeria import stores
from tools.pizzeria.state import PizzeriaState


async def test_a_known_customer_who_says_her_name_is_renamed_not_an_item() -> None:
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola")
    turn = await chat.say("me llamo Lucía")
    state = await chat.state()
    assert state["user_name"] == "Lucía" and turn.model_calls == 0 and lines(state) == set()
    assert stores.customers().get(KNOWN).name == "Lucía"


async def test_a_name_correction_mid_order_keeps_the_order_and_goes_on_the_saved_one() -> None:
    chat = await chat_with_order()
    before = await chat.state()
    await chat.say("no, me llamo Lucia Gomez")
    state = await chat.state()
    assert state["user_name"] == "Lucia Gomez" and lines(state) == lines(before)
    for text in ("eso es todo", "si", "Rivadavia 4000", "efectivo"):
        await chat.say(text)
    (order,) = saved_orders()
    assert order["customer_name"] == "Lucia Gomez"


async def test_a_new_customer_corrects_the_name_just_given() -> None:
    chat = await Chat.open(user_id="5491100000631")
    await chat.say("hola")
    await chat.say("Ana")
    await chat.say("perdon, soy Anabella")
    assert (await chat.state())["user_name"] == "Anabella"


async def test_a_known_customer_correcting_the_name_in_the_first_message() -> None:
    chat = await Chat.open(user_id=KNOWN)
    await chat.say("hola, soy Lucía, no Carlos")
    state = await chat.state()
    assert state["user_name"] == "Lucía" and state["conversation_phase"] == "TOMANDO_PEDIDO"


async def test_a_name_corrected_with_me_confundi_while_ordering() -> None:
    chat = await Chat.open(user_id="5491100000632")
    for text in ("hola", "soy Juli", "una napo chica y un flan"):
        await chat.say(text)
    before = await chat.state()
    turn = await chat.say("che me confundi, soy Julieta")
    state = await chat.state()
    assert state["user_name"] == "Julieta" and lines(state) == lines(before) and turn.model_calls == 0


async def test_someone_else_on_a_known_phone_orders_under_her_own_name() -> None:
    chat = await Chat.open(user_id="5493415550104")  # Lucía Fernández's phone
    turn = await chat.say("hola, no soy Lucia, soy su hermana Paula. queria una fugazzeta grande")
    state = await chat.state()
    assert state["user_name"] == "Paula" and lines(state) == {("fugazzeta", "grande", 1)} and turn.model_calls == 0
    assert "Paula" in turn.reply and "Lucía" not in turn.reply
    on_file = stores.customers().get(PizzeriaState.of(state).customer())
    assert on_file is not None and on_file.name == "Lucía Fernández", "the phone's owner stays on file: Paula orders for herself"


async def test_a_name_said_with_more_order_keeps_both() -> None:
    chat = await Chat.open(user_id="5491100000633")
    await chat.say("hola")
    await chat.say("una muzza grande")  # no name yet: the order goes first
    turn = await chat.say("soy Ana, y agregame una coca chica")
    state = await chat.state()
    assert state["user_name"] == "Ana" and ("coca_cola", "500ml", 1) in lines(state) and turn.model_calls == 0


async def test_saying_the_first_name_on_file_with_an_order_keeps_the_full_name() -> None:
    chat = await Chat.open(user_id="5491155550101")  # Juan Pérez
    await chat.say("hola, soy Juan, una muzza grande")
    assert (await chat.state())["user_name"] == "Juan Pérez"
