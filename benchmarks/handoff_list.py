"""The operator's handoff list with many stored conversations: the index against reading every session.

A SQLite session database in a temporary directory gets `--sessions` pizzeria
conversations (a realistic state and a few events each), `--handed-off` of them handed
to a person. Then, `--repeat` times each:

- `index`: `tools.llm.handoff.handed_off` on the gateway's session service (one query
  on `gateway_handoffs`), which is also what an operator's reply and release look up;
- `scan`: the same listing the way it was done before the index, through ADK's own
  `list_sessions` (every session's state read and parsed, then filtered).

    python -m benchmarks.handoff_list [--sessions 1500] [--handed-off 20] [--repeat 5]

Prints one JSON object: median and max seconds per way, and how many each found.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from google.adk.events import Event, EventActions
from google.adk.sessions import BaseSessionService
from google.genai import types

APP = "pizzeria_agent"


async def _fill(service: BaseSessionService, sessions: int, handed_off: int) -> None:
    every = max(1, sessions // max(1, handed_off))
    for i in range(sessions):
        state = {"conversation_phase": "TOMANDO_PEDIDO", "user_name": f"Cliente {i}", "saved_address": f"Calle {i} 1234",
                 "current_order": {"items": [{"item_id": "muzzarella", "quantity": 2}], "total": 18000}}
        session = await service.create_session(app_name=APP, user_id=f"u-{i:032x}", session_id=f"web-{i:024x}", state=state)
        for turn in range(3):
            said = types.Content(role="user", parts=[types.Part(text=f"mensaje {turn} de la conversación {i}")])
            await service.append_event(session, Event(invocation_id=f"i{i}-{turn}", author="user", content=said))
        if i % every == 0 and i // every < handed_off:
            delta = {"requires_human": True, "handoff_reason": "reclamo", "handoff_summary": f"resumen {i}",
                     "handoff_notified": True, "handoff_at": time.time()}
            await service.append_event(session, Event(invocation_id=f"h{i}", author=APP, actions=EventActions(state_delta=delta)))


async def _time(way: Any, repeat: int) -> dict[str, Any]:
    seconds, found = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        found = len(await way())
        seconds.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(seconds), 4), "max_s": round(max(seconds), 4), "found": found}


async def measure(sessions: int, handed_off: int, repeat: int) -> dict[str, Any]:
    from gateway.sessions import create_session_service
    from tools.llm import handoff

    with tempfile.TemporaryDirectory() as root:
        os.environ["KEYS_PATH"] = str(Path(root) / "keys.json")
        url = f"sqlite+aiosqlite:///{Path(root) / 'sessions.db'}"
        service = create_session_service(url)
        started = time.perf_counter()
        await _fill(service, sessions, handed_off)
        filled = time.perf_counter() - started
        plain = create_session_service(url, cached=False)  # no index: ADK's list_sessions, then filter

        async def scan() -> list[Any]:
            listed = await plain.list_sessions(app_name=APP)
            return [s for s in listed.sessions if s.state.get("requires_human")]

        result = {
            "sessions": sessions, "handed_off": handed_off, "fill_s": round(filled, 1),
            "index": await _time(lambda: handoff.handed_off(service, APP), repeat),
            "scan": await _time(scan, repeat),
        }
        await service.close()
        await plain.close()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1500)
    parser.add_argument("--handed-off", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.sessions, args.handed_off, args.repeat))))


if __name__ == "__main__":
    main()
