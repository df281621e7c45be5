"""The resolver on its own: the spellings customers and small models really send."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.pizzeria.menu import MenuItem, load_menu
from tools.pizzeria.quantities import ResolveError, parse_quantity
from tools.pizzeria.resolver import find_mentions, resolve_line, resolve_size


def resolve_item(text: str) -> MenuItem | None:
    """The first menu item `text` names, as the tools read it."""
    mentions = find_mentions(text)
    return load_menu().item(mentions[0].item_id) if mentions else None


ITEM_SPELLINGS = {
    "muzzarella": ["muzza", "muzzas", "Muzzarella", "MUZZA", "musarela", "musarella", "mozzarella", "mozarella", "muzarela", "muza", "muzzarela", "muzzarrella"],
    "napolitana": ["napo", "napolitana", "Napolitana", "napolitanas", "neapolitana", "napolitna", "napolitanna"],
    "fugazzeta": ["fugazzeta", "fugaza", "fugazza", "fugazeta", "fugazetta", "fugasseta", "fugazzetas", "fugazzzeta"],
    "calabresa": ["calabresa", "calabreza", "calabrese", "calabresas"],
    "jamon_y_morrones": ["jamón y morrones", "jamon y morrones", "jamon y morron", "jamón con morrones", "jym"],
    "margarita": ["margarita", "margherita", "margaritta", "margaritas"],
    "cuatro_quesos": ["cuatro quesos", "4 quesos", "cuatro queso"],
    "rucula_y_jamon_crudo": ["rúcula y jamón crudo", "rucula y crudo", "crudo y rúcula", "rucula"],
    "empanada_carne": ["empanada de carne", "empanadas de carne", "de carne", "empanada carne"],
    "empanada_jamon_queso": ["empanadas de jamón y queso", "jyq", "jamon y queso"],
    "empanada_humita": ["humita", "empanadas de humita"],
    "coca_cola": ["coca", "coca cola", "Coca-Cola", "cocacola", "cocas"],
    "coca_cola_zero": ["coca zero", "coca sin azúcar"],
    "cerveza_quilmes": ["birra", "cerveza", "quilmes", "birras"],
    "flan": ["flan", "flan con dulce de leche", "flanes"],
    "helado_cuarto": ["helado", "un cuarto de helado"],
}


@pytest.mark.parametrize(
    ("written", "item_id"), [(w, i) for i, ws in ITEM_SPELLINGS.items() for w in ws], ids=lambda v: str(v)
)
def test_item_spellings(written: str, item_id: str) -> None:
    item = resolve_item(written)
    assert item is not None and item.id == item_id


@pytest.mark.parametrize("written", ["hawaiana", "sushi", "hola", "pizza", "empanadas", "", "🍕🍕", "'; DROP TABLE pedidos;--", ".*"])
def test_things_we_do_not_sell_resolve_to_nothing(written: str) -> None:
    assert resolve_item(written) is None


SIZES = {
    ("muzzarella", "grande"): ["grande", "gde", "GDE", "grandes", "gr", "familiar", "8 porciones", "grnde"],
    ("muzzarella", "chica"): ["chica", "ch", "chiquita", "individual", "pequeña", "personal"],
    ("muzzarella", "mediana"): ["mediana", "med", "mediano", "medianas"],
    ("coca_cola", "1.5l"): ["1,5", "1.5", "1,5 L", "1.5 litros", "litro y medio", "un litro y medio", "grande"],
    ("coca_cola", "500ml"): ["500", "500ml", "medio litro", "chica", "lata"],
    ("empanada_carne", "docena"): ["docena", "una docena", "doc"],
    ("empanada_carne", "unidad"): ["unidad", "unidades", "suelta"],
}


@pytest.mark.parametrize(("key", "written"), [(k, w) for k, ws in SIZES.items() for w in ws], ids=lambda v: str(v))
def test_size_spellings(key: tuple[str, str], written: str) -> None:
    item_id, size = key
    assert resolve_size(load_menu().item(item_id), written) == size


@pytest.mark.parametrize(
    ("written", "expected"),
    [(2, 2), ("2", 2), ("dos", 2), ("Dos", 2), ("una", 1), ("un", 1), ("2 x", 2), ("x2", 2), ("tres", 3), ("doce", 12),
     ("un par", 2), ("una docena", 12), ("media docena", 6), (3.0, 3), (None, None), ("", None), ("algunas", None)],
)
def test_quantity_spellings(written: object, expected: int | None) -> None:
    assert parse_quantity(written) == expected


@pytest.mark.parametrize("written", [-1, "-2", 0, "cero", 2.5, "1,5", True, 31, "cien", 10**9])
def test_quantities_that_must_be_fixed(written: object) -> None:
    with pytest.raises(ResolveError):
        resolve_line("muzza", quantity=written)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dos muzzas grandes y una fugazzeta chica, y una coca de litro y medio",
         [("muzzarella", "grande", 2), ("fugazzeta", "chica", 1), ("coca_cola", "1.5l", 1)]),
        ("una docena de empanadas de carne", [("empanada_carne", "docena", 1)]),
        ("dos docenas de jyq", [("empanada_jamon_queso", "docena", 2)]),
        ("media docena de humita", [("empanada_humita", "unidad", 6)]),
        ("media docena de empanadas de carne y media de pollo", [("empanada_carne", "unidad", 6), ("empanada_pollo", "unidad", 6)]),
        ("2 x fugaza chica", [("fugazzeta", "chica", 2)]),
        ("napo gde x2", [("napolitana", "grande", 2)]),
        ("3 cuatro quesos medianas", [("cuatro_quesos", "mediana", 3)]),
        ("quiero una calabreza mediana y un flan", [("calabresa", "mediana", 1), ("flan", "porcion", 1)]),
        ("una de jamon y morrones y 6 empanadas de jamon y queso", [("jamon_y_morrones", "grande", 1), ("empanada_jamon_queso", "unidad", 6)]),
        ("un par de birras", [("cerveza_quilmes", "1l", 2)]),
    ],
)
def test_whole_messages_become_lines(text: str, expected: list[tuple[str, str, int]]) -> None:
    lines = [l for mention_text in [text] for l in resolve_line(mention_text)]
    assert [(l.item_id, l.size, l.quantity) for l in lines] == expected


def test_unknown_item_message_lists_options_of_its_category() -> None:
    with pytest.raises(ResolveError) as error:
        resolve_line("pizza hawaiana")
    assert "hawaiana" in str(error.value)
    assert all(name in str(error.value) for name in ["Muzzarella", "Fugazzeta", "Cuatro quesos"])


def test_missing_drink_size_asks_with_the_valid_sizes() -> None:
    with pytest.raises(ResolveError) as error:
        resolve_line("coca")
    assert "500 ml" in str(error.value) and "1,5 L" in str(error.value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_resolves_or_refuses_cleanly(text: str) -> None:
    try:
        lines = resolve_line(text)
    except ResolveError as error:
        assert str(error)
        return
    menu = load_menu()
    for line in lines:
        assert line.size in menu.item(line.item_id).prices and 1 <= line.quantity <= 30
