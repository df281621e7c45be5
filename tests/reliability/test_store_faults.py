"""Store faults: PostgreSQL restarted mid-conversation, a full or read-only disk under the
JSON store, and a process killed with SIGKILL in the middle of `finalize_order`.

- The shop runs on a private PostgreSQL (`pg_private`); while it is down the customer
  gets the Spanish technical-problem reply, and once it is back the next turn works
  with the same engine (no app restart).
- The pizzeria's data directory is a tiny tmpfs that is filled up or remounted
  read-only just before the order is saved: the customer hears the store apology,
  the files on disk are byte-for-byte what they were, no temp file is left, and once
  the disk is fixed the same conversation saves the order once.
- A child process finalizes an order and is killed at each step of the atomic write;
  the file is then the old one (order absent) or the new one (order present once),
  and finalizing again in a fresh process leaves exactly one copy.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.chat import Chat
from tests.ecommerce.test_conversations import C0001, ShopChat
from tests.pizzeria.helpers import KNOWN
from tests.reliability.pg_private import PrivatePostgres
from tests.shop_runtime import shop_runtime_on
from tools.pizzeria import replies, stores
from tools.pizzeria.state import initial_state
from tools.settings import REPO_ROOT
from tools.shop import permissions, runtime, tool_common

pytest_plugins = ["tests.reliability.pg_private"]

TECHNICAL = {tool_common.TECHNICAL_ERROR["message"], permissions.UNAVAILABLE_REFUSAL["message"]}
EARLIER = {"user_id": "5491100000001", "customer_name": "Ana", "items": [], "total": 1000, "address": "Lavalle 100"}


# --------------------------------------------------------------------------- PostgreSQL stopped and restarted


@pytest.fixture
async def pg_shop(private_pg: PrivatePostgres, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AsyncEngine]:
    """The shop runtime on the private PostgreSQL, migrated and seeded on first use."""
    async with shop_runtime_on(monkeypatch, private_pg.url) as engine:
        yield engine


@pytest.mark.parametrize("stop_mode", ["fast", "immediate"])
async def test_shop_conversation_survives_a_postgres_restart(
    private_pg: PrivatePostgres, pg_shop: AsyncEngine, stop_mode: str
) -> None:
    chat = await ShopChat.open(C0001)
    first, _, _ = await chat.say("donde esta mi pedido 4581230")
    assert "4581230" in first

    private_pg.stop(stop_mode)
    try:
        down, _, _ = await chat.say("y mi pedido 4581233?")
    finally:
        private_pg.start()
    assert down in TECHNICAL, "a clear Spanish reply while the database is down"
    assert (await chat.state())["error_count"] == 1

    back, _, _ = await chat.say("y mi pedido 4581233?")
    assert "4581233" in back and back not in TECHNICAL
    assert await runtime.get_engine() is pg_shop, "the same engine reconnected; nothing was rebuilt"
    state = await chat.state()
    assert state["agent_history"] == ["tracking_agent"] * 3 and state["error_count"] == 0


# --------------------------------------------------------------------------- disk full, read-only data directory


@pytest.fixture
def tiny_disk(data_dir: Path) -> Iterator[Path]:
    """PIZZERIA_DATA_DIR on its own 1 MiB tmpfs (needs root: mount)."""
    data_dir.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(data_dir)], capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); these tests need root")
    try:
        yield data_dir
    finally:
        subprocess.run(["umount", "-l", str(data_dir)], check=True)


def _fill(directory: Path) -> None:
    with open(directory / "filler", "wb") as filler, suppress(OSError):
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()


def _break(directory: Path, fault: str) -> None:
    if fault == "disk-full":
        _fill(directory)
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(directory)], check=True)


def _repair(directory: Path, fault: str) -> None:
    if fault == "disk-full":
        (directory / "filler").unlink()
    else:
        subprocess.run(["mount", "-o", "remount,rw", str(directory)], check=True)


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.suffix == ".json"}


@pytest.mark.parametrize("fault", ["disk-full", "read-only"])
async def test_order_saved_on_a_broken_disk_fails_cleanly_and_is_saved_once_fixed(tiny_disk: Path, fault: str) -> None:
    stores.orders().save_once("earlier", EARLIER)
    chat = await Chat.open(user_id=KNOWN)
    for text in ("hola", "una muzza grande", "eso es todo", "sí"):
        await chat.say(text)
    before = _snapshot(tiny_disk)
    assert set(before) == {"clientes.json", "pedidos.json"}

    _break(tiny_disk, fault)
    try:
        failed = await chat.say("Belgrano 1500, Quilmes, pago en efectivo")
        after = _snapshot(tiny_disk)
        leftovers = [p.name for p in tiny_disk.iterdir() if p.suffix == ".tmp"]
    finally:
        _repair(tiny_disk, fault)
    assert failed.reply == replies.STORE_DOWN, "a clear Spanish reply, no traceback"
    assert after == before, "nothing half-written"
    assert all(json.loads(raw) is not None for raw in after.values())
    assert leftovers == []
    state = await chat.state()
    assert state["conversation_phase"] == "FINALIZACION" and state["current_order"]["items"]

    done = await chat.say("¿y? ¿salió?")
    saved = stores.orders().all()
    assert [o.order_key for o in saved] == ["earlier", state["order_key"]]
    assert saved[1].user_id == KNOWN and f"#{saved[1].order_id}" in done.reply


# --------------------------------------------------------------------------- SIGKILL during finalize_order

PAUSES = {
    "before-temp-file": ("tempfile", "mkstemp", "before"),
    "temp-file-written": ("os", "fsync", "before"),
    "before-rename": ("os", "replace", "before"),
    "after-rename": ("os", "replace", "after"),
}
"""Where the child stops (module, function, before/after the call) to be killed."""


CHILD = """
import importlib, json, os, sys, time
from tools.pizzeria import operations

if len(sys.argv) == 4:  # pause at (module, function, before|after): print PAUSED, wait to be killed
    module_name, name, when = sys.argv[1:]
    module = importlib.import_module(module_name)
    real = getattr(module, name)

    def paused(*args, **kwargs):
        if when == "after":
            real(*args, **kwargs)
        print("PAUSED", flush=True)
        time.sleep(60)
        raise SystemExit("not killed")

    setattr(module, name, paused)
outcome = operations.finalize(json.loads(os.environ["ORDER_STATE"]))
print(json.dumps({"ok": outcome.ok, **outcome.data}), flush=True)
"""
"""The child process: finalizes the order in $ORDER_STATE, importing only the pizzeria's tools."""


def _run_child(state: dict[str, object], pause: tuple[str, ...]) -> subprocess.Popen[str]:
    env = os.environ | {"ORDER_STATE": json.dumps(state)}
    command = [sys.executable, "-c", CHILD, *pause]
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True)


@pytest.mark.parametrize("step", PAUSES)
def test_sigkill_during_finalize_never_duplicates_or_corrupts(data_dir: Path, step: str) -> None:
    stores.orders().save_once("earlier", EARLIER)
    state = initial_state(KNOWN) | {
        "current_order": {"items": [{"item_id": "muzzarella", "size": "grande", "quantity": 1}], "total": 0},
        "order_confirmed": True,
        "address": "Belgrano 1500",
        "payment_method": "efectivo",
        "user_name": "Carlos",
    }
    child = _run_child(state, PAUSES[step])
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert line == "PAUSED", f"the child did not reach {step}"

    on_disk = json.loads((data_dir / "pedidos.json").read_text(encoding="utf-8"))  # parseable
    keys = [o["order_key"] for o in on_disk]
    expected_after_kill = ["earlier", state["order_key"]] if PAUSES[step][2] == "after" else ["earlier"]
    assert keys == expected_after_kill, "the old file or the new one, never a mix"
    assert bool(list(data_dir.glob("*.tmp"))) == (step in ("temp-file-written", "before-rename"))

    restarted = _run_child(state, ())
    out, _ = restarted.communicate(timeout=60)
    result = json.loads(out.strip().splitlines()[-1])
    saved = stores.orders().all()
    assert [o.order_key for o in saved] == ["earlier", state["order_key"]], "saved exactly once"
    assert result == {"ok": True, "order_id": saved[1].order_id, "total": saved[1].total}
    assert saved[0].model_dump(include={*EARLIER, "order_key"}) == EARLIER | {"order_key": "earlier"}
    assert not list(data_dir.glob("*.tmp")), "a killed writer's temp file is swept by the next write"
