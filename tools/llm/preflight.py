"""Before a conversation starts: is the configured model server there, with the model?

`check_model_server(settings)` is the one check behind `make run` (this module's CLI,
`python -m tools.llm.preflight`), the service's `/readyz` and `python -m eval --model`.
It returns a short detail when a turn could be served and raises `ModelUnavailable`
(or `ModelNotPulled`) naming the URL it tried; `ways_out(settings)` says what to do.

The CLI, run before `adk run`, also:
- pulls an Ollama model the server does not have yet (`ollama/...` and
  `ollama_chat/...` model strings only), showing the download's progress;
- answers ADK's first-run question "Enable telemetry? [Y/n]" with its default, off
  (`adk run`/`adk web` ask it on a terminal until `~/.adk/config.json` holds an
  answer; there is no environment variable for it), so the chat never starts blocked
  on that prompt. `adk telemetry enable` turns it on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from typing import TextIO

import httpx

from tools.settings import LOCAL_MODEL, Settings, get_settings

TIMEOUT_S = 2.0
OLLAMA_PREFIXES = ("ollama_chat/", "ollama/")
PULL_TIMEOUT_S = 3600.0


class ModelUnavailable(RuntimeError):
    """No model server answers where the settings point (the message names the URL)."""


class ModelNotPulled(ModelUnavailable):
    """Ollama answers, but does not have the model yet."""


def ollama_model(model: str) -> str | None:
    """The Ollama model name of an Ollama model string (`ollama_chat/qwen2.5:7b` -> `qwen2.5:7b`), else None."""
    for prefix in OLLAMA_PREFIXES:
        if model.startswith(prefix):
            return model.removeprefix(prefix)
    return None


def _base(settings: Settings) -> str:
    return settings.ollama_api_base.rstrip("/")


async def check_model_server(settings: Settings, timeout_s: float = TIMEOUT_S) -> str:
    """Where turns would go, when that server answers (and, for Ollama, has the model); raises otherwise."""
    if settings.llm_model == "scripted":
        return "scripted model (no server)"
    if settings.llm_model == LOCAL_MODEL:
        raise ModelUnavailable("LLM_MODEL=local is llama.cpp's server that `make run` starts for its chat, not running here")
    base, name = _base(settings), ollama_model(settings.llm_model)
    url = f"{base}/api/tags" if name else f"{base}/models"  # Ollama's model list; OpenAI-compatible servers' list
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        raise ModelUnavailable(f"no model server answers at {base} ({type(exc).__name__}: {exc or 'no answer'})") from None
    if response.status_code >= 500:
        raise ModelUnavailable(f"the model server at {base} answered HTTP {response.status_code}")
    if name is not None:
        if response.status_code != 200:
            raise ModelUnavailable(f"{base} answered HTTP {response.status_code} to {url}: is it an Ollama server?")
        if not _has_model(response.json(), name):
            raise ModelNotPulled(f"the Ollama server at {base} does not have the model {name} yet")
    return base


def _has_model(tags: dict[str, object], name: str) -> bool:
    models = tags.get("models") if isinstance(tags, dict) else None
    names = {str(m.get(key)) for m in models or [] if isinstance(m, dict) for key in ("name", "model")}
    return name in names or (":" not in name and f"{name}:latest" in names)


def ways_out(settings: Settings) -> str:
    """The ways out of a missing model server, as commands."""
    name = ollama_model(settings.llm_model)
    local = "LLM_MODEL=local make run   (= python -m eval.real chat)"
    if settings.llm_model == LOCAL_MODEL:
        first = f"chat with llama.cpp's server started for you:   {local}"
    elif name:
        first = f"start Ollama and pull the model:   ollama serve &  ollama pull {name}"
    else:
        first = f"start the server that serves {settings.llm_model} at {_base(settings)} (e.g. llama.cpp's llama-server)"
    ways = [first, "try it offline, on the scripted demo model:   LLM_MODEL=scripted make run",
            "point OLLAMA_API_BASE at a running server:   OLLAMA_API_BASE=http://<host>:11434 make run"]
    if settings.llm_model != LOCAL_MODEL:
        ways.append(f"a small real model, no Ollama (first time: ~10-12 min build, ~1.1 GB download):   {local}")
    return "\n".join([
        f"Ways out (LLM_MODEL={settings.llm_model}, OLLAMA_API_BASE={_base(settings)}):",
        *(f"  {number}. {way}" for number, way in enumerate(ways, 1)),
        "(set them in .env to keep them; see .env.example)",
    ])


async def pull(settings: Settings, out: TextIO | None = None) -> None:
    """Have the Ollama server at OLLAMA_API_BASE pull the model, printing its progress."""
    out = out or sys.stderr
    name = ollama_model(settings.llm_model)
    if name is None:
        raise ValueError(f"{settings.llm_model} is not an Ollama model string")
    print(f"Pulling {name} into the Ollama server at {_base(settings)} (once; several GB for a 7B model)...", file=out)
    shown, status = -10.0, ""
    async with httpx.AsyncClient(timeout=httpx.Timeout(PULL_TIMEOUT_S, connect=TIMEOUT_S)) as client:
        async with client.stream("POST", f"{_base(settings)}/api/pull", json={"model": name, "stream": True}) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                event = json.loads(line) if line.strip() else {}
                if event.get("error"):
                    raise ModelUnavailable(f"Ollama could not pull {name}: {event['error']}")
                done, total = event.get("completed") or 0, event.get("total") or 0
                percent = 100.0 * done / total if total else None
                if event.get("status") != status or (percent is not None and percent - shown >= 10):
                    status = str(event.get("status", ""))
                    shown = percent if percent is not None else shown
                    size = f" {percent:.0f}% of {total / 1e9:.1f} GB" if percent is not None else ""
                    print(f"  {status}{size}", file=out, flush=True)


def answer_adk_telemetry() -> str | None:
    """Record ADK's telemetry answer as its default, off, when none is recorded yet; returns what was done."""
    from google.adk.utils._telemetry_config import get_user_config_path, read_telemetry_consent, write_telemetry_consent

    if read_telemetry_consent() is not None:
        return None
    try:
        write_telemetry_consent(False)
    except OSError:
        return None  # an unwritable home: ADK asks only on a terminal, and CI has none
    return f"ADK telemetry left off (recorded in {get_user_config_path()}; `adk telemetry enable` turns it on)"


def require_model_server(settings: Settings) -> None:
    """Exit with the URL tried and the ways out unless the configured model server can serve a turn."""
    try:
        asyncio.run(check_model_server(settings))
    except ModelUnavailable as problem:
        raise SystemExit(f"Cannot run: {problem}.\n{ways_out(settings)}") from None


async def _preflight(settings: Settings, pull_missing: bool) -> str:
    try:
        return await check_model_server(settings)
    except ModelNotPulled:
        if not pull_missing:
            raise
    await pull(settings)
    return await check_model_server(settings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.llm.preflight", description="Check settings and the model server.")
    parser.add_argument("--no-pull", action="store_true", help="do not pull a missing Ollama model")
    args = parser.parse_args(argv)
    settings = get_settings()  # invalid settings exit here, one line per variable
    if note := answer_adk_telemetry():
        print(note, file=sys.stderr)
    started = time.perf_counter()
    try:
        where = asyncio.run(_preflight(settings, pull_missing=not args.no_pull))
    except ModelUnavailable as problem:
        print(f"Cannot start the chat: {problem}.\n{ways_out(settings)}", file=sys.stderr)
        return 1
    print(f"Model {settings.llm_model}: {where} (checked in {time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
