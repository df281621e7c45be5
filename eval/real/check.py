"""`python -m eval.real check`: the server answers a chat and a structured tool call.

Starts llama-server, then sends (a) a plain chat request, (b) an OpenAI-format request
with an `add_item_to_order` tool and "quiero dos muzzas grandes", straight over HTTP,
and (c) the same request through `litellm.acompletion` (`openai/<alias>`). (b) and
(c) must come back as structured `tool_calls`, with no call or call marker left as text
in `content`. Each model is served with the template of the tool-call format it writes
(`eval.real.template`); the raw choice of every answer is printed.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

import httpx

from eval.real import say
from eval.real.llama import binary_version
from eval.real.server import LlamaServer, ServerConfig
from tools.llm.cost import CallCost, from_litellm, from_llama_timings

SYSTEM = "Sos el asistente de una pizzería. Para agregar productos al pedido usá las herramientas."
USER = "quiero dos muzzas grandes"
TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "add_item_to_order",
            "description": "Agrega un producto del menú al pedido del cliente.",
            "parameters": {
                "type": "object",
                "properties": {
                    "item": {"type": "string", "description": "Producto del menú, p. ej. 'muzzarella grande'"},
                    "quantity": {"type": "integer", "description": "Cantidad, 1 o más"},
                },
                "required": ["item", "quantity"],
            },
        },
    }
]
TOOL_MESSAGES = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]
# What must not be left in `content` next to structured calls: Qwen's tags, ours, a fence.
CALL_MARKERS = ("<tool_call>", "[tool_call]", "```json")


class CheckFailed(AssertionError):
    """The answer is not what the real-model tier needs."""


def tool_call_problems(message: dict[str, Any]) -> list[str]:
    """What is wrong with an assistant `message` that should call `add_item_to_order`."""
    calls = message.get("tool_calls") or []
    if not calls:
        return [f"no structured tool_calls; content: {message.get('content')!r}"]
    problems = []
    function = calls[0].get("function") or {}
    if function.get("name") != "add_item_to_order":
        problems.append(f"called {function.get('name')!r}")
    try:
        args = json.loads(function.get("arguments") or "")
    except ValueError:
        return [*problems, f"arguments are not JSON: {function.get('arguments')!r}"]
    if not isinstance(args, dict) or "item" not in args or "quantity" not in args:
        problems.append(f"arguments lack item/quantity: {args!r}")
    content = message.get("content") or ""
    problems += [f"{marker!r} is left in content: {content!r}" for marker in CALL_MARKERS if marker in content]
    return problems


def _show(label: str, wall_s: float, cost: CallCost, extra: str = "") -> None:
    rate_in = cost.uncached_tokens / cost.prefill_s if cost.prefill_s else 0.0
    rate_out = cost.completion_tokens / cost.generation_s if cost.generation_s else 0.0
    say(
        f"{label}: {wall_s:.2f} s wall; prompt {cost.prompt_tokens} tok ({cost.cached_tokens} cached) "
        f"prefill {cost.prefill_s or 0:.2f} s ({rate_in:.0f} tok/s), {cost.completion_tokens} tok "
        f"generated in {cost.generation_s or 0:.2f} s ({rate_out:.1f} tok/s) {extra}"
    )


def chat(client: httpx.Client, server: LlamaServer, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    response = client.post(server.api_base + "/chat/completions", json={"model": server.config.alias, **body})
    response.raise_for_status()
    return response.json(), time.monotonic() - started


async def via_litellm(server: LlamaServer) -> tuple[Any, float]:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    started = time.monotonic()
    response = await litellm.acompletion(
        model=f"openai/{server.config.alias}", api_base=server.api_base, api_key="none",
        messages=TOOL_MESSAGES, tools=TOOLS, temperature=0, max_tokens=128, timeout=300,
    )  # fmt: skip
    return response, time.monotonic() - started


def run_check(model: str, port: int | None = None, slots: int = 1, ctx: int = 4096) -> int:
    """Run the three requests; 0 if both tool requests came back structured, else 1."""
    say(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    config = ServerConfig.for_model(model, port=port, slots=slots, ctx_per_slot=ctx)
    failures: list[str] = []
    with LlamaServer(config) as server, httpx.Client(timeout=300) as client:
        version = (binary_version(server.binary) or "?").splitlines()[0]
        say(f"server up in {server.startup_s:.1f} s on {server.api_base} ({version}; template {config.template.name})")
        body, wall = chat(client, server, {"messages": [{"role": "user", "content": "Decí hola en una palabra."}],
                                           "temperature": 0, "max_tokens": 16})  # fmt: skip
        _show("(a) plain chat", wall, from_llama_timings(body["timings"]),
              repr(body["choices"][0]["message"].get("content")))  # fmt: skip
        body, wall = chat(client, server, {"messages": TOOL_MESSAGES, "tools": TOOLS, "temperature": 0,
                                           "max_tokens": 128})  # fmt: skip
        message = body["choices"][0]["message"]
        _show("(b) tool call over HTTP", wall, from_llama_timings(body["timings"]))
        say(f"    choice: {json.dumps(body['choices'][0], ensure_ascii=False)}")
        say(f"    usage: {json.dumps(body.get('usage'))}; timings: {json.dumps(body.get('timings'))}")
        failures += [f"(b) {p}" for p in tool_call_problems(message)]
        response, wall = asyncio.run(via_litellm(server))
        message = response.choices[0].message.model_dump()
        _show("(c) tool call via LiteLLM", wall, from_litellm(response))
        say(f"    finish_reason: {response.choices[0].finish_reason}; message: {json.dumps(message, ensure_ascii=False)}")
        say(f"    usage: {response.usage.model_dump_json()}; timings: {getattr(response, 'timings', None)}")
        failures += [f"(c) {p}" for p in tool_call_problems(message)]
    for failure in failures:
        say(f"FAIL {failure}")
    say("check passed" if not failures else "check FAILED")
    return 1 if failures else 0
