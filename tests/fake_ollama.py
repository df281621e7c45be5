"""A small local HTTP server that speaks Ollama's API (/api/chat, /api/show, /api/tags, /api/pull) and
llama.cpp's OpenAI-compatible one (/v1/chat/completions), with each server's own cost counts.

It answers from the request's contents (which tools are offered, who spoke
last), like `ScriptedLlm`, so LiteLLM's real request/response conversion runs
end to end. Modes simulate faults: "ok", "malformed", "slow".

The counts are shaped like the real servers' (one "token" per 4 characters of the
request as sent; ~30 prompt tokens/s, ~12 generated tokens/s, a CPU's rates):

- Ollama: `prompt_eval_count`, `prompt_eval_duration`, `eval_count`, `eval_duration`
  (nanoseconds), and `prompt_eval_cached_count` when `ollama_reports_cached` (Ollama
  0.33+ reports it; older versions do not).
- llama.cpp: `timings` (`prompt_n` evaluated, `cache_n` reused, `prompt_ms`,
  `predicted_n`, `predicted_ms`) and `usage.prompt_tokens_details.cached_tokens`.
  The cache is simulated per slot (`id_slot` in the body, else slot 0): the tokens
  shared with the slot's previous prompt are reused, the rest evaluated.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from eval.real.server import free_port

PREFILL_TOKENS_PER_S = 30.0
GENERATED_TOKENS_PER_S = 12.0


def tokens_of(text: str) -> int:
    return max(1, len(text) // 4)


def prompt_text(body: dict[str, Any]) -> str:
    """The request as the server would tokenize it: tools first, then the messages."""
    return json.dumps(body.get("tools") or [], ensure_ascii=False) + json.dumps(body.get("messages", []), ensure_ascii=False)


class FakeOllama:
    def __init__(self, port: int | None = None, mode: str = "ok", delay_s: float = 0.0,
                 models: tuple[str, ...] = ("qwen2.5:7b",), ollama_reports_cached: bool = False) -> None:
        self.port = port or free_port()
        self.mode = mode
        self.delay_s = delay_s
        self.models = list(models)  # what /api/tags lists; /api/pull adds to it
        self.ollama_reports_cached = ollama_reports_cached
        self.requests: list[dict[str, Any]] = []
        self.slots: dict[int, str] = {}  # slot -> the last prompt it evaluated
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        """Base URL for LiteLLM's `openai/<alias>` (llama.cpp's server)."""
        return f"{self.url}/v1"

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """The reply as Ollama's /api/chat would send it (the OpenAI route converts it)."""
        messages = body.get("messages", [])
        tools = [t["function"]["name"] for t in body.get("tools") or []]
        last = messages[-1] if messages else {}
        message: dict[str, Any] = {"role": "assistant", "content": ""}
        if not tools:
            message["content"] = '{"intent": "pedido"}'
        elif last.get("role") == "tool":
            message["content"] = "Listo, ¿algo más?"
        elif "add_item_to_order" in tools:
            message["tool_calls"] = [
                {"function": {"name": "add_item_to_order", "arguments": {"item": "muzza", "quantity": 2, "size": "grande"}}}
            ]
        elif "get_menu" in tools:
            message["tool_calls"] = [{"function": {"name": "get_menu", "arguments": {"category": "pizzas"}}}]
        else:
            message["content"] = "¿En qué te ayudo?"
        return {
            "model": body.get("model"),
            "created_at": "2026-11-23T10:00:00Z",
            "message": message,
            "done": True,
            "done_reason": "stop",
        }

    # --------------------------------------------------------------- cost counts

    def _generated(self, message: dict[str, Any]) -> int:
        return tokens_of(json.dumps([message.get("content"), message.get("tool_calls")], ensure_ascii=False))

    def ollama_reply(self, body: dict[str, Any]) -> dict[str, Any]:
        reply = self.answer(body)
        prompt, generated = tokens_of(prompt_text(body)), self._generated(reply["message"])
        reply |= {
            "prompt_eval_count": prompt,
            "prompt_eval_duration": int(prompt / PREFILL_TOKENS_PER_S * 1e9),
            "eval_count": generated,
            "eval_duration": int(generated / GENERATED_TOKENS_PER_S * 1e9),
        }
        if self.ollama_reports_cached:
            reply["prompt_eval_cached_count"] = 0
        return reply

    def llama_reply(self, body: dict[str, Any]) -> dict[str, Any]:
        """An OpenAI chat completion with llama.cpp's `timings`, from the same answer."""
        message = self.answer(body)["message"]
        text = prompt_text(body)
        slot = int(body.get("id_slot", -1))
        slot = max(slot, 0)
        shared = len(os.path.commonprefix([self.slots.get(slot, ""), text])) if body.get("cache_prompt", True) else 0
        self.slots[slot] = text
        total, cached = tokens_of(text), shared // 4
        evaluated, generated = total - cached, self._generated(message)
        calls = [
            {"id": f"call_{uuid.uuid4().hex[:8]}", "type": "function",
             "function": {"name": c["function"]["name"], "arguments": json.dumps(c["function"]["arguments"], ensure_ascii=False)}}
            for c in message.get("tool_calls") or []
        ]
        out: dict[str, Any] = {"role": "assistant", "content": message.get("content") or None}
        if calls:
            out["tool_calls"] = calls
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "choices": [{"index": 0, "message": out, "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": total, "completion_tokens": generated, "total_tokens": total + generated,
                      "prompt_tokens_details": {"cached_tokens": cached}},
            "timings": {"cache_n": cached, "prompt_n": evaluated, "prompt_ms": evaluated / PREFILL_TOKENS_PER_S * 1000,
                        "predicted_n": generated, "predicted_ms": generated / GENERATED_TOKENS_PER_S * 1000},
        }

    # --------------------------------------------------------------- server

    def __enter__(self) -> FakeOllama:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                fake.requests.append({"path": self.path, "body": None})
                if self.path == "/api/tags":
                    self._send(json.dumps({"models": [{"name": m, "model": m} for m in fake.models]}).encode())
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append({"path": self.path, "body": body})
                if fake.delay_s:
                    time.sleep(fake.delay_s)
                if self.path == "/api/pull":  # streamed progress, as Ollama does
                    total = 4_000_000_000
                    steps = [{"status": "pulling manifest"}]
                    steps += [{"status": "pulling abc123", "total": total, "completed": total * i // 4} for i in range(5)]
                    steps += [{"status": "verifying sha256 digest"}, {"status": "success"}]
                    fake.models.append(body["model"])
                    self._send(b"".join(json.dumps(step).encode() + b"\n" for step in steps))
                    return
                if self.path == "/api/show":
                    payload: Any = {"model_info": {"general.architecture": "qwen2"}, "capabilities": ["completion", "tools"], "template": ""}
                elif fake.mode == "malformed":
                    raw = b'{"message": {"role": "assistant", "content": "hola'
                    self._send(raw)
                    return
                elif self.path.startswith("/v1/"):
                    payload = fake.llama_reply(body)
                else:
                    payload = fake.ollama_reply(body)
                self._send(json.dumps(payload).encode())

            def _send(self, raw: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                try:
                    self.wfile.write(raw)
                except BrokenPipeError:
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def chats(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"] in ("/api/chat", "/v1/chat/completions")]
