"""The pizzeria's specialists, named once: the coordinator, the flow, the prompts and the demo policy use these."""

from __future__ import annotations

from enum import StrEnum


class Specialist(StrEnum):
    USER = "user_agent"  # asks a new customer's name
    MENU = "menu_agent"  # answers about the menu
    ORDER = "order_agent"  # adds, removes and changes items
    CONFIRMATION = "confirmation_agent"  # reads a yes or a change at confirmation
    ADDRESS = "address_agent"  # reads the delivery address
