"""Fixed Spanish replies the coordinator sends without calling a model."""

from __future__ import annotations

from tools.pizzeria.menu import load_menu
from tools.pizzeria.order import Order


def welcome() -> str:
    return f"¡Hola! Bienvenido a {load_menu().pizzeria} 🍕"


def welcome_new() -> str:
    return f"{welcome()} ¿Cómo es tu nombre?"


def welcome_back(name: str) -> str:
    return f"¡Hola {first(name)}! Qué bueno verte de nuevo. ¿Qué te preparamos hoy?"


def hello_again(name: str | None) -> str:
    return f"¡Hola{' ' + first(name) if name else ''}! ¿Qué te gustaría pedir?"


def first(name: str | None) -> str:
    return (name or "").split()[0] if name else ""


def summary(order: Order) -> str:
    return f"Este es tu pedido:\n{order.render()}\n¿Lo confirmás? Respondé «sí» o decime qué querés cambiar."


def empty_order() -> str:
    return "Todavía no pediste nada. ¿Qué te gustaría pedir? Si querés, te paso el menú."


def ask_address(saved_address: str | None) -> str:
    if saved_address:
        return f"¡Genial! ¿Te lo mandamos a {saved_address}? Si es otra dirección, escribímela."
    return "¡Genial! ¿A qué dirección te lo mandamos? Calle, altura y piso/depto si hay."


def what_to_change() -> str:
    return "Dale, ¿qué querés cambiar o agregar?"


def cancelled() -> str:
    return "Listo, cancelé el pedido. Cuando quieras empezamos de nuevo: decime qué te gustaría pedir."


def please_confirm(order: Order) -> str:
    return f"¿Confirmás este pedido?\n{order.render()}\nRespondé «sí» o decime qué querés cambiar."


def empty_message() -> str:
    return "No me llegó ningún texto. ¿Qué te gustaría pedir?"


def truncated(limit: int) -> str:
    return f"(Tu mensaje era muy largo: leí solo los primeros {limit} caracteres.)"
