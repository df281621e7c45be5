"""Menu lookup tool."""

from __future__ import annotations

from tools.pizzeria.menu import load_menu


def get_menu(category: str = "") -> str:
    """Devuelve el menú con precios en pesos.

    Args:
      category: opcional, "pizzas", "empanadas", "bebidas" o "postres"; vacío para todo.
    """
    menu = load_menu()
    return menu.render(category) or menu.render()
