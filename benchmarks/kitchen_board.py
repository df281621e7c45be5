"""The kitchen board under load: render time by number of orders, the cost of one status change, the handoff list.

The service runs in-process (its lifespan and notifier loop included) on SQLite in a
temporary directory. For each size N, `pedidos.json` is filled with N encrypted orders
(all of today, i.e. all on the board; or N on file of which 100 are today's), then the
board's live fragment is fetched (`GET /panel/pizzeria/live`: read the file, decrypt the
day's orders, render) and orders are moved one status each through the board's button
(`POST .../status`: one locked atomic rewrite of the file, one INSERT into the outbox).
SQL statements on the service's database and file replaces are counted per change, and
so is what the notifier loop then does in the next 0.5 s (it wakes, sweeps the changed
file, looks for WhatsApp messages due; idle, it runs one SELECT every 2 s).

    python -m benchmarks.kitchen_board [--sizes 50,200,1000,5000] [--sessions 0,200,1000] [--repeat 15]

`--sessions` times the board with that many stored pizzeria conversations: listing
handed-off conversations (`tools.llm.handoff.handed_off`) loads every session.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("LLM_MODEL", "scripted")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import httpx
from sqlalchemy import event

from tools import jsonstore
from tools.crypto import get_cipher
from tools.settings import get_settings

SECRET = "benchmark-panel-secret-0123456789ab"
LINES = [{"item_id": "muzzarella", "name": "Muzzarella", "size": "grande", "size_label": "grande (8 porciones)",
          "quantity": 2, "unit_price": 13900, "subtotal": 27800},
         {"item_id": "coca_cola", "name": "Coca-Cola", "size": "1.5l", "size_label": "1,5 L", "quantity": 1,
          "unit_price": 4200, "subtotal": 4200}]


def fill(data_dir: Path, total: int, today: int) -> None:
    """`total` orders on file, the last `today` of them created during today's service day."""
    from tools.pizzeria.stores import day_start

    cipher = get_cipher()
    start = day_start()
    records = []
    for i in range(total):
        created = start + timedelta(minutes=5 + i % 600) if i >= total - today else start - timedelta(days=2 + i // 200)
        at = created.astimezone(UTC).isoformat(timespec="seconds")
        records.append({
            "order_id": 1001 + i, "order_key": uuid.uuid4().hex, "user_id": cipher.encrypt(f"54911{i:08d}"),
            "customer_name": f"Cliente {i}", "items": LINES, "total": 32000, "address": cipher.encrypt(f"Av. Corrientes {i}"),
            "created_at": at, "payment_method": "efectivo", "channel": "web", "session_id": f"web-{i:024d}",
            "status": "recibido" if i >= total - today else "entregado",
            "status_changes": [{"status": "recibido", "at": at, "by": "bot", "reason": None}],
        })
    data_dir.mkdir(parents=True, exist_ok=True)
    jsonstore.write_atomic(data_dir / "pedidos.json", records)


@contextmanager
def counting(engine: Any) -> Iterator[dict[str, int]]:
    counts = {"sql": 0, "replaces": 0}

    def on_sql(*_: Any) -> None:
        counts["sql"] += 1

    original = jsonstore.write_atomic

    def counted(path: Path, data: Any) -> None:
        counts["replaces"] += 1
        original(path, data)

    event.listen(engine.sync_engine, "before_cursor_execute", on_sql)
    jsonstore.write_atomic = counted  # JsonFile.update looks it up at call time
    try:
        yield counts
    finally:
        jsonstore.write_atomic = original
        event.remove(engine.sync_engine, "before_cursor_execute", on_sql)


async def login(client: httpx.AsyncClient) -> str:
    form = await client.get("/panel/pizzeria")
    nonce = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert nonce
    await client.post("/panel/pizzeria/login", data={"name": "Bench", "password": SECRET, "csrf": nonce.group(1)})
    page = await client.get("/panel/pizzeria")
    token = re.search(r'<meta name="csrf" content="([^"]+)"', page.text)
    assert token, page.text[:300]
    return token.group(1)


def ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000


async def measure(total: int, today: int, sessions: int, repeat: int) -> dict[str, Any]:
    """One size, in its own temporary directory and environment (restored afterwards)."""
    saved_env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ.update({
            "PANEL_SECRET": SECRET, "PIZZERIA_DATA_DIR": str(root / "pizzeria"), "LOG_LEVEL": "ERROR",
            "DATABASE_URL": f"sqlite+aiosqlite:///{root / 'business.db'}",
            "SESSION_DB_URL": f"sqlite+aiosqlite:///{root / 'sessions.db'}",
        })
        get_settings.cache_clear()
        try:
            result = await _measure_in(root, total, today, sessions, repeat)
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            get_settings.cache_clear()
    return result


async def _measure_in(root: Path, total: int, today: int, sessions: int, repeat: int) -> dict[str, Any]:
    from gateway.app import create_app

    fill(root / "pizzeria", total, today)
    app = create_app()
    service = app.state.service
    async with app.router.lifespan_context(app):
        for i in range(sessions):
            await service.sessions.create_session(app_name="pizzeria_agent", user_id=f"u{i}", session_id=f"web-s{i}",
                                                  state={"conversation_phase": "TOMANDO_PEDIDO"})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            csrf = await login(client)
            renders = []
            size = 0
            for _ in range(repeat):
                started = time.perf_counter()
                live = await client.get("/panel/pizzeria/live")
                renders.append(time.perf_counter() - started)
                size = len(live.content)
            changes, sql, replaces, sweep_sql = [], [], [], []
            for n in range(repeat if sessions == 0 else 0):
                order_id = 1001 + total - 1 - n
                with counting(service.engine) as counts:
                    started = time.perf_counter()
                    moved = await client.post(f"/panel/pizzeria/orders/{order_id}/status",
                                              data={"status": "en preparación", "csrf": csrf}, headers={"Accept": "application/json"})
                    changes.append(time.perf_counter() - started)
                    assert moved.status_code == 200, moved.text
                    sql.append(counts["sql"])
                    replaces.append(counts["replaces"])
                    await asyncio.sleep(0.5)  # the notifier wakes: sweeps the changed file, sends what is due
                    sweep_sql.append(counts["sql"] - sql[-1])
    result = {"orders": total, "today": today, "sessions": sessions, "board_kb": size / 1024, "render": ms(renders)}
    if changes:
        result |= {"change": ms(changes), "sql": statistics.mean(sql), "replaces": statistics.mean(replaces),
                   "sweep_sql": statistics.mean(sweep_sql)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="50,200,1000,5000")
    parser.add_argument("--sessions", default="0,200,1000")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    rows = []
    for total in sizes:
        rows.append(asyncio.run(measure(total, total, 0, args.repeat)))
    for total in sizes:
        if total > 100:
            rows.append(asyncio.run(measure(total, 100, 0, args.repeat)))
    print("| orders on file | on the board | board KB | render p50 ms | p95 | status change p50 ms | p95 | SQL / change | file replaces / change | notifier SQL after |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['orders']} | {r['today']} | {r['board_kb']:.0f} | {r['render'][0]:.1f} | {r['render'][1]:.1f} | "
              f"{r['change'][0]:.1f} | {r['change'][1]:.1f} | {r['sql']:.1f} | {r['replaces']:.1f} | {r['sweep_sql']:.1f} |")
    print()
    print("| stored pizzeria sessions | render p50 ms | p95 |")
    print("|---|---|---|")
    for count in [int(s) for s in args.sessions.split(",") if s]:
        r = asyncio.run(measure(50, 50, count, args.repeat))
        print(f"| {count} | {r['render'][0]:.1f} | {r['render'][1]:.1f} |")
    print(json.dumps({"load_average": os.getloadavg()}))


if __name__ == "__main__":
    main()
