"""Seeded catalog: categories, products (the handcrafted base and its variants) and stock per warehouse."""

from __future__ import annotations

import itertools
import json
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from tools.shop.seed.common import (
    Row,
    ascii_slug,
    load_vocab,
    section_rng,
    whole_seconds,
)


@dataclass(frozen=True)
class Subcategory:
    id: str
    sku_prefix: str
    iva_rate: str
    warranty_months: int
    name_template: str
    description_template: str
    price_range: tuple[int, int]  # pesos
    variants: dict[str, list[tuple[Any, float]]]
    path: tuple[str, ...]  # this category and its ancestors


@dataclass(frozen=True)
class ProductSpec:
    sub: Subcategory
    brand: str
    model: str
    attrs: dict[str, Any]
    price: int  # pesos


def category_rows(catalog: dict[str, Any]) -> list[Row]:
    """The `categories` rows: each top-level category followed by its subcategories."""
    rows: list[Row] = []
    for top in catalog["categories"]:
        rows.append({"id": top["id"], "name": top["name"], "parent_id": None, "description": top["description"]})
        rows += [{"id": sub["id"], "name": sub["name"], "parent_id": top["id"], "description": sub["description"]}
                 for sub in top["children"]]
    return rows


def subcategories(catalog: dict[str, Any]) -> list[tuple[Subcategory, list[dict[str, Any]]]]:
    """Each subcategory with its model families, in file order."""
    found = []
    for top in catalog["categories"]:
        for sub in top["children"]:
            spec = Subcategory(
                id=sub["id"], sku_prefix=top["sku_prefix"], iva_rate=sub.get("iva_rate", top["iva_rate"]),
                warranty_months=sub.get("warranty_months", top["warranty_months"]),
                name_template=sub["name_template"], description_template=sub["description_template"],
                price_range=tuple(sub["price_range"]),  # type: ignore[arg-type]
                variants={axis: [tuple(option) for option in options] for axis, options in sub["variants"].items()},
                path=(sub["id"], top["id"]),
            )
            found.append((spec, sub["families"]))
    return found


def base_specs() -> list[ProductSpec]:
    """The handcrafted catalog, interleaved across subcategories so any prefix covers them all."""
    per_sub = [
        [ProductSpec(sub, fam["brand"], fam["model"], fam["attrs"] | overrides, price)
         for fam in families for overrides, price in fam["configs"]]
        for sub, families in subcategories(load_vocab("catalog_vocab.json"))
    ]
    interleaved = []
    for rank in range(max(len(specs) for specs in per_sub)):
        interleaved += [specs[rank] for specs in per_sub if rank < len(specs)]
    return interleaved


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value).replace(".", ",")
    return str(value)


def _storage_label(gb: int) -> str:
    if gb >= 1000 and gb % 1024 == 0:
        return f"{gb // 1024}TB"
    if gb >= 1000 and gb % 1000 == 0:
        return f"{gb // 1000}TB"
    return f"{gb}GB"


_CPU_SHORT = re.compile(r"Core Ultra [3579]|i[3579]|Ryzen [3579]|Celeron|M[1-4]")


def _template_fields(spec: ProductSpec) -> dict[str, str]:
    fields = {key: _format_value(value) for key, value in spec.attrs.items()}
    fields |= {"brand": spec.brand, "model": spec.model}
    if "storage_gb" in spec.attrs:
        fields["storage"] = _storage_label(spec.attrs["storage_gb"])
    if "cpu" in spec.attrs:
        match = _CPU_SHORT.search(spec.attrs["cpu"])
        fields["cpu_short"] = match.group(0) if match else spec.attrs["cpu"]
    return fields


def _nice_price(pesos: float, price_range: tuple[int, int]) -> int:
    """Round to a shop-like price ending in 999 (or 99/9 for cheap items) inside the range."""
    step = 1000 if pesos >= 100_000 else 100 if pesos >= 10_000 else 10
    nice = round(pesos / step) * step - 1
    low, high = price_range
    return max(low, min(high, nice))


def _variant(spec: ProductSpec, combo: dict[str, tuple[Any, float]]) -> ProductSpec:
    """Another configuration of the same model (RAM/storage/color/size...), its price scaled."""
    attrs = dict(spec.attrs)
    model = spec.model
    factor = 1.0
    for axis, (value, option_factor) in combo.items():
        current = next((f for v, f in spec.sub.variants[axis] if v == attrs.get(axis)), 1.0)
        factor *= option_factor / current
        if axis == "screen_in" and f"{attrs[axis]:g}" in model:  # "OLED55B3" at 65" is "OLED65B3"
            model = model.replace(f"{attrs[axis]:g}", f"{value:g}", 1)
        attrs[axis] = value
    return ProductSpec(spec.sub, spec.brand, model, attrs, _nice_price(spec.price * factor, spec.sub.price_range))


def _variant_combos(spec: ProductSpec, rng: random.Random) -> list[dict[str, tuple[Any, float]]]:
    """Every combination of the subcategory's variant axes, in a reproducible shuffled order."""
    axes = spec.sub.variants
    combos = [dict(zip(axes, options)) for options in itertools.product(*axes.values())]
    combos = [c for c in combos if any(spec.attrs.get(axis) != value for axis, (value, _) in c.items())] or combos
    rng.shuffle(combos)
    return combos


@cache
def _brand_code(brand: str) -> str:
    return ascii_slug(brand).upper()[:3].ljust(3, "X")


def _sku(spec: ProductSpec, seq: int) -> str:
    return f"{spec.sub.sku_prefix}-{_brand_code(spec.brand)}-{seq:05d}"


def _product_row(spec: ProductSpec, fields: dict[str, str], product_id: int, name: str, sku: str, active: bool,
                 updated_at: datetime) -> Row:
    attributes = spec.attrs | {"warranty_months": spec.sub.warranty_months}
    return {
        "id": product_id, "sku": sku, "name": name, "brand": spec.brand, "category_id": spec.sub.id,
        "description": spec.sub.description_template.format_map(fields),
        "attributes": json.dumps(attributes, ensure_ascii=False), "price_cents": spec.price * 100,
        "iva_rate": spec.sub.iva_rate, "active": active, "updated_at": updated_at,
    }


def build_products(count: int, reference: datetime, rng_seed: int) -> list[Row]:
    """`count` product rows (ids 1..count): the handcrafted base first, then variants of it.

    Variant round r of a base model takes its r-th axis combination; once a model's
    combinations run out (or repeat a name) the SKU is appended to keep names unique.
    """
    rng = section_rng(rng_seed, "products")
    base = base_specs()
    combos: dict[int, list[dict[str, tuple[Any, float]]]] = {}
    names: set[str] = set()
    rows: list[Row] = []
    for index in range(count):
        product_id = index + 1
        base_index, round_no = index % len(base), index // len(base)
        spec = base[base_index]
        if round_no:
            if base_index not in combos:
                combos[base_index] = _variant_combos(spec, rng)
            options = combos[base_index]
            spec = _variant(spec, options[(round_no - 1) % len(options)])
        sku = _sku(spec, product_id)
        fields = _template_fields(spec)
        name = spec.sub.name_template.format_map(fields)
        if name in names:
            name = f"{name} ({sku})"
        names.add(name)
        active = rng.random() >= (0.03 if round_no else 0.015)
        updated_at = whole_seconds(reference - timedelta(seconds=rng.randrange(45 * 86400)))
        rows.append(_product_row(spec, fields, product_id, name, sku, active, updated_at))
    return rows


def build_stock(products: list[Row], warehouses: list[Row], rng_seed: int) -> list[Row]:
    """One stock row per product and warehouse: mostly positive, some zero, none for inactive items."""
    rng = section_rng(rng_seed, "stock")
    rows = []
    for product in products:
        pesos = product["price_cents"] // 100
        for warehouse in warehouses:
            if not product["active"] or rng.random() < 0.14:
                quantity = 0
            elif pesos >= 1_000_000:
                quantity = rng.randint(1, 8)
            elif pesos >= 100_000:
                quantity = rng.randint(1, 40)
            else:
                quantity = rng.randint(5, 150)
            rows.append({"product_id": product["id"], "warehouse_id": warehouse["id"], "quantity": quantity})
    return rows


def first_product(products: list[Row], category_id: str, contains: str = "", brand: str | None = None) -> Row:
    """The first active product of a category matching the filters (first of the category as fallback)."""
    in_category = [p for p in products if p["category_id"] == category_id and p["active"]]
    for product in in_category:
        if contains in product["name"] and (brand is None or product["brand"] == brand):
            return product
    if not in_category:
        raise ValueError(f"no active product in category {category_id!r}; seed more products")
    return in_category[0]
