"""Throughput and latency of `POST /v1/chat` with the scripted model answering instantly.

Starts real service processes (`python -m gateway`), runs N concurrent pizzeria
conversations (4 turns each) through them, and prints requests/s, p50/p95/p99 latency
and each process's memory, for SQLite and PostgreSQL, one process and two.

    python -m benchmarks.service_load [--conversations 200] [--backends sqlite,postgresql] [--processes 1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import jwt
import psutil

from benchmarks.service_process import create_run_database, drop_run_database, start_service, stop_services
from tools.settings import TRIAL_MOMENT

PG = os.environ.get("BENCH_PG_URL", "postgresql+asyncpg://root@127.0.0.1:5432/test")
SECRET = "benchmark-secret-0123456789abcdef0123456789"
TURNS = ["hola", "me llamo Ana", "dos muzzas grandes y una coca", "eso es todo"]


def _token(subject: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": subject, "role": "customer", "iat": now, "exp": now + 3600, "iss": "local-shop-agents"},
                      SECRET, algorithm="HS256")


async def _conversation(client: httpx.AsyncClient, bases: list[str], n: int, latencies: list[float], errors: list[str]) -> None:
    headers = {"Authorization": f"Bearer {_token(f'bench-{uuid.uuid4().hex[:12]}')}"}
    for i, turn in enumerate(TURNS):
        base = bases[(n + i) % len(bases)]  # turns alternate between processes
        started = time.perf_counter()
        response = await client.post(f"{base}/v1/chat/pizzeria", json={"text": turn}, headers=headers)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200 or not response.json().get("reply"):
            errors.append(f"{response.status_code}")


async def _drive(bases: list[str], conversations: int) -> tuple[float, list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=conversations, max_keepalive_connections=conversations)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(_conversation(client, bases, n, latencies, errors) for n in range(conversations)))
        return time.perf_counter() - started, latencies, errors


def run(backend: str, processes: int, conversations: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        env = {**os.environ, "LLM_MODEL": "scripted", "JWT_SECRET": SECRET, "LITELLM_LOCAL_MODEL_COST_MAP": "True",
               "PIZZERIA_DATA_DIR": f"{tmp}/pizzeria", "PIZZERIA_NOW": os.environ.get("PIZZERIA_NOW") or TRIAL_MOMENT, "CHROMA_PATH": f"{tmp}/chroma", "LOG_LEVEL": "WARNING",
               "DATA_KEYS": "", "KEYS_PATH": f"{tmp}/keys.json"}
        if backend == "sqlite":
            env |= {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/shop.db", "SESSION_DB_URL": f"sqlite+aiosqlite:///{tmp}/sessions.db"}
        else:
            env |= {"DATABASE_URL": PG, "SESSION_DB_URL": create_run_database(PG, schema), "DATABASE_SCHEMA": schema}
        logs = [Path(tmp) / f"service-{n}.log" for n in range(processes)]
        started = [start_service(env, logs[0])]  # the first creates the tables (and keys); then the others
        started += [start_service(env, log) for log in logs[1:]]
        try:
            wall, latencies, errors = asyncio.run(_drive([base for _, base in started], conversations))
            rss = [psutil.Process(p.pid).memory_info().rss / 2**20 for p, _ in started]
        finally:
            stop_services([process for process, _ in started], timeout=30)
            if backend == "postgresql":
                drop_run_database(PG, schema)
    q = statistics.quantiles(latencies, n=100)
    return {"backend": backend, "processes": processes, "requests": len(latencies), "errors": len(errors),
            "rps": len(latencies) / wall, "p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000,
            "rss": "/".join(f"{r:.0f}" for r in rss)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--processes", default="1,2")
    args = parser.parse_args()
    print(f"{args.conversations} concurrent conversations × {len(TURNS)} turns, scripted model, {os.cpu_count()} cores\n")
    print("| backend | processes | requests | errors | req/s | p50 ms | p95 ms | p99 ms | RSS MB per process |")
    print("|---|---|---|---|---|---|---|---|---|")
    for backend in args.backends.split(","):
        for processes in (int(p) for p in args.processes.split(",")):
            r = run(backend, processes, args.conversations)
            print(f"| {r['backend']} | {r['processes']} | {r['requests']} | {r['errors']} | {r['rps']:.1f} | {r['p50']:.0f} | "
                  f"{r['p95']:.0f} | {r['p99']:.0f} | {r['rss']} |", flush=True)


if __name__ == "__main__":
    main()
