"""No phone, e-mail or address in clear at rest: a real conversation through the HTTP service, then every
table of every database the service writes and every file under the test's data directory is searched.

The pizzeria customer gives a delivery address, the shop customer (seeded C0001, whose
user id is their phone) writes their e-mail and phone. A failure names each place that
holds one of them in clear (`table.column` or a file path).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.gateway.conftest import Service, token

PIZZA_PHONE = "5491100000912"
ADDRESS = "Av. Siempreviva 742"
SHOP_PHONE = "5491160000001"  # seeded customer C0001
EMAIL = "ana.privada@correo-test.com.ar"


def _hits(value: object, needles: dict[str, str]) -> list[str]:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return [name for name, needle in needles.items() if needle in text]


async def _leaks_in_tables(engine: AsyncEngine, needles: dict[str, str]) -> set[str]:
    found = set()
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: (meta := MetaData(), meta.reflect(sync))[0].sorted_tables)
        for table in tables:
            for row in (await conn.execute(select(table))).all():
                for column, value in zip(table.columns, row):
                    found |= {f"{table.name}.{column.name}: {what}" for what in _hits(value, needles)}
    return found


def _leaks_in_files(root: Path, needles: dict[str, str]) -> set[str]:
    return {f"{path.relative_to(root)}: {what}" for path in root.rglob("*") if path.is_file()
            for what in _hits(path.read_bytes(), needles)}


async def test_no_phone_email_or_address_in_clear_anywhere_the_service_writes(service: Service, tmp_path: Path) -> None:
    pizza = token(PIZZA_PHONE)
    for text in ["hola", "me llamo Ana", "dos muzzas grandes", "eso es todo", "sí", ADDRESS]:
        assert (await service.chat("pizzeria", text, pizza)).status_code == 200
    shop = token(SHOP_PHONE)
    for text in ["hola", f"mi mail es {EMAIL} y mi cel {SHOP_PHONE}", "quiero ver mis pedidos"]:
        assert (await service.chat("ecommerce", text, shop)).status_code == 200

    needles = {"pizzeria phone": PIZZA_PHONE, "address": ADDRESS, "shop phone": SHOP_PHONE, "e-mail": EMAIL}
    gateway = service.app.state.service
    engines = {"business": gateway.engine, "sessions": gateway.sessions.db_engine}
    leaks = set()
    for name, engine in engines.items():
        leaks |= {f"{name} {leak}" for leak in await _leaks_in_tables(engine, needles)}
    leaks |= {f"file {leak}" for leak in _leaks_in_files(tmp_path, needles)}
    assert not leaks, "in clear at rest:\n" + "\n".join(sorted(leaks))
