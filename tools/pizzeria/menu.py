"""The menu: pydantic records loaded once from `data/pizzeria/menu.json` (read-only)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from pydantic import BaseModel, Field

from tools.settings import get_settings
from tools.text import normalize


class Size(BaseModel):
    label: str
    aliases: list[str] = Field(default_factory=list)


class MenuItem(BaseModel):
    id: str
    name: str
    description: str = ""
    aliases: list[str] = Field(default_factory=list)
    prices: dict[str, int]
    category_id: str = ""


class Category(BaseModel):
    id: str
    name: str
    sizes: dict[str, Size]
    default_size: str | None = None
    items: list[MenuItem]


class Menu(BaseModel):
    pizzeria: str
    currency: str = "ARS"
    categories: list[Category]

    def model_post_init(self, __context: object) -> None:
        for category in self.categories:
            for item in category.items:
                item.category_id = category.id

    @property
    def items(self) -> list[MenuItem]:
        return [item for category in self.categories for item in category.items]

    def item(self, item_id: str) -> MenuItem:
        return next(i for i in self.items if i.id == item_id)

    def category_of(self, item: MenuItem) -> Category:
        return next(c for c in self.categories if c.id == item.category_id)

    def size_label(self, item: MenuItem, size: str) -> str:
        return self.category_of(item).sizes[size].label

    def size_prices(self, item: MenuItem, sizes: list[str] | None = None) -> list[tuple[str, str]]:
        """(short size label, price) for each of `sizes` (default: every size) of `item`: [("grande", "$15.500")]."""
        labels = self.category_of(item).sizes
        return [(labels[s].label.split(" (")[0], format_price(item.prices[s])) for s in (sizes or list(item.prices))]

    def render(self, category: str = "") -> str:
        """Compact Spanish menu text, optionally one category ("pizzas", "bebidas"...)."""
        wanted = normalize(category)
        lines: list[str] = []
        for cat in self.categories:
            if wanted and wanted not in (normalize(cat.id), normalize(cat.name)):
                continue
            lines.append(f"{cat.name}:")
            for item in cat.items:
                prices = ", ".join(f"{size} {price}" for size, price in self.size_prices(item))
                lines.append(f"- {item.name} ({item.description.rstrip('.')}): {prices}")
        return "\n".join(lines)


def format_price(amount: int) -> str:
    """ARS the Argentine way: 13900 -> "$13.900"."""
    return "$" + f"{amount:,}".replace(",", ".")


@functools.cache
def _load(path: Path) -> Menu:
    return Menu.model_validate(json.loads(path.read_text(encoding="utf-8")))


def load_menu() -> Menu:
    """The menu configured in settings, parsed once per process."""
    return _load(get_settings().pizzeria_menu_path)
