"""A small local HTTP server that speaks Ollama's /api/chat, /api/show, /api/tags and /api/pull.

It answers from the request's contents (which tools are offered, who spoke
last), like `ScriptedLlm`, so LiteLLM's real request/response conversion runs
end to end. Modes simulate faults: "ok", "malformed", "slow".
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeOllama:
    def __init__(self, port: int | None = None, mode: str = "ok", delay_s: float = 0.0,
                 models: tuple[str, ...] = ("qwen2.5:7b",)) -> None:
        self.port = port or free_port()
        self.mode = mode
        self.delay_s = delay_s
        self.models = list(models)  # what /api/tags lists; /api/pull adds to it
        self.requests: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
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
            "prompt_eval_count": 321,
            "eval_count": 12,
        }

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
                else:
                    payload = fake.answer(body)
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
        return [r["body"] for r in self.requests if r["path"] == "/api/chat"]
