"""Kill a replica mid-burst and redeliver everything: is every WhatsApp message answered exactly once?

Starts two service processes (`python -m gateway`) on one PostgreSQL schema, with the
scripted model and a local stand-in for the Graph API. Posts N signed deliveries (one
customer each) alternately to both, SIGKILLs the first `--kill-after` seconds into the
burst, restarts it, and, as Meta does for deliveries that got no 200, posts every
delivery again. Then it waits until each customer has a reply and prints how many were
answered, how many got more than one reply, and the time from the kill until the last
one was answered.

    python -m benchmarks.kill_redeliver [--deliveries 100] [--kill-after 0.4]

`tests/reliability/test_kill_redeliver.py` runs a smaller version; the two-process and
the other crash tests start and kill processes with `Replicas`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import payloads
from benchmarks.fake_graph import FakeGraph
from benchmarks.service_process import create_run_database, drop_run_database, start_service, stop_services

PG = os.environ.get("BENCH_PG_URL", "postgresql+asyncpg://root@127.0.0.1:5432/test")
APP_SECRET = "kill-redeliver-app-secret-0123456789abcdef"
JWT_SECRET = "kill-redeliver-jwt-secret-0123456789abcdef"


@dataclass
class Replicas:
    """Service processes sharing one fresh PostgreSQL schema (ADK's sessions: one fresh database) and one Graph stand-in."""

    graph: FakeGraph
    data_dir: Path
    schema: str = field(default_factory=lambda: f"t_kill_{uuid.uuid4().hex[:10]}")
    processes: list[subprocess.Popen[bytes] | None] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)  # the caller's own settings (the secrets its tests sign with...)
    sessions_url: str = ""  # ADK's sessions: the run's own database, made by start()

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ, "LLM_MODEL": "scripted", "DATABASE_URL": PG, "DATABASE_SCHEMA": self.schema,
            "SESSION_DB_URL": self.sessions_url,
            "PIZZERIA_DATA_DIR": str(self.data_dir / "pizzeria"), "CHROMA_PATH": str(self.data_dir / "chroma"),
            "KEYS_PATH": str(self.data_dir / "keys.json"), "JWT_SECRET": JWT_SECRET, "WHATSAPP_APP_SECRET": APP_SECRET,
            "WHATSAPP_ACCESS_TOKEN": self.graph.access_token, "WHATSAPP_PHONE_NUMBER_ID": payloads.PHONE_NUMBER_ID,
            "WHATSAPP_API_URL": self.graph.url, "DATA_KEYS": self._data_key, "LOOKUP_KEY": "kill-redeliver-lookup-key-0123456789abcdef",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LOG_LEVEL": "WARNING", **self.overrides,
        }

    def __post_init__(self) -> None:
        self._data_key = Fernet.generate_key().decode()

    def start(self, count: int = 2) -> None:
        self.sessions_url = create_run_database(PG, self.schema)
        for _ in range(count):  # one after the other: the first creates the tables
            self.processes.append(None)
            self.bases.append("")
            self.restart(len(self.processes) - 1)

    def restart(self, index: int, timeout: float = 120) -> None:
        """(Re)start replica `index` on a new port and wait until it is ready."""
        log = self.data_dir / f"replica-{index}.log"  # read it when a run goes wrong
        self.processes[index], self.bases[index] = start_service(self.env, log, timeout=timeout)

    def kill(self, index: int) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        process = self.processes[index]
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        self.processes[index] = None

    def stop(self) -> None:
        stop_services(self.processes, timeout=20)
        drop_run_database(PG, self.schema)

    async def scalar(self, sql: str, **params: object) -> object:
        """One value from the replicas' schema (e.g. counting rows)."""
        engine = create_async_engine(PG, connect_args={"server_settings": {"search_path": self.schema}})
        try:
            async with engine.connect() as conn:
                return (await conn.execute(text(sql), params)).scalar()
        finally:
            await engine.dispose()

    def post_delivery(self, client: httpx.Client, index: int, body: bytes, agent: str = "pizzeria") -> int:
        """Post one signed delivery to replica `index`; its status (0: the replica did not answer)."""
        headers = {"X-Hub-Signature-256": payloads.sign(body, APP_SECRET), "Content-Type": "application/json"}
        try:
            return client.post(f"{self.bases[index]}/webhooks/whatsapp/{agent}", content=body, headers=headers).status_code
        except httpx.HTTPError:
            return 0


def deliveries(count: int) -> list[tuple[str, bytes]]:
    """`count` one-message deliveries, each from its own customer: (wa_id, body)."""
    run = uuid.uuid4().int % 10**4
    made = []
    for n in range(count):
        wa_id = f"549117{run:04d}{n:04d}"
        made.append((wa_id, payloads.as_body(payloads.text_message(wa_id, f"wamid.{uuid.uuid4().hex}", "hola"))))
    return made


async def _burst(replicas: Replicas, batch: list[tuple[str, bytes]], kill_after: float | None) -> list[int]:
    """Post `batch` alternately to both replicas (8 at a time); SIGKILL replica 0 `kill_after` s in."""
    gate = asyncio.Semaphore(8)

    def post(n: int, body: bytes) -> int:
        with httpx.Client(timeout=30) as client:
            return replicas.post_delivery(client, n % 2, body)

    async def one(n: int, body: bytes) -> int:
        async with gate:
            return await asyncio.to_thread(post, n, body)

    async def killer() -> None:
        if kill_after is not None:
            await asyncio.sleep(kill_after)
            await asyncio.to_thread(replicas.kill, 0)

    results = await asyncio.gather(killer(), *(one(n, body) for n, (_, body) in enumerate(batch)))
    return list(results[1:])


def run(count: int, kill_after: float, settle_s: float = 3.0, timeout_s: float = 120.0) -> dict[str, float]:
    """The whole scenario; the figures it reports."""
    with FakeGraph() as graph, tempfile.TemporaryDirectory() as tmp:
        replicas = Replicas(graph, Path(tmp))
        try:
            replicas.start(2)
            batch = deliveries(count)
            first = asyncio.run(_burst(replicas, batch, kill_after))
            killed_at = time.monotonic()
            pending_at_kill = asyncio.run(replicas.scalar("SELECT count(*) FROM gateway_inbox WHERE status = 'pending'"))
            replicas.restart(0)
            again = asyncio.run(_burst(replicas, batch, None))  # Meta redelivers every delivery
            customers = {wa_id for wa_id, _ in batch}
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and not customers <= {m.to for m in graph.sent}:
                time.sleep(0.1)
            recovered = time.monotonic() - killed_at
            time.sleep(settle_s)  # time for a second (wrong) reply to arrive
            replies = Counter(m.to for m in graph.sent if m.to in customers)
            pending = asyncio.run(replicas.scalar("SELECT count(*) FROM gateway_inbox WHERE status <> 'done'"))
        finally:
            replicas.stop()
    return {
        "deliveries": count, "accepted_first": sum(s == 200 for s in first), "accepted_again": sum(s == 200 for s in again),
        "answered": len(replies), "duplicates": sum(n - 1 for n in replies.values()), "not_done": int(pending or 0),  # type: ignore[call-overload]
        "pending_at_kill": int(pending_at_kill or 0),  # type: ignore[call-overload]
        "recover_s": round(recovered, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=100)
    parser.add_argument("--kill-after", type=float, default=0.4, help="seconds into the burst")
    args = parser.parse_args()
    figures = run(args.deliveries, args.kill_after)
    print(f"{figures['deliveries']} deliveries over 2 replicas, replica 0 SIGKILLed {args.kill_after} s into the burst")
    print(f"accepted (200) before the kill: {figures['accepted_first']}, on redelivery: {figures['accepted_again']}; "
          f"left pending by the burst: {figures['pending_at_kill']}")
    print(f"answered: {figures['answered']}  duplicates: {figures['duplicates']}  inbox rows not done: {figures['not_done']}")
    print(f"time from the kill to the last answer (restart included): {figures['recover_s']} s")


if __name__ == "__main__":
    main()
