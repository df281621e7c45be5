"""The service's surface as an attacker meets it: one real uvicorn process, real sockets.

ADK's `/run_live` WebSocket is refused at the handshake (whatever the session), huge
bodies are cut at the size cap without the process's memory growing, and a chat request
without a valid token is answered before its body is read.
"""

from __future__ import annotations

import concurrent.futures
import os
import select
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from benchmarks.service_process import start_service, stop_services
from tests.gateway.conftest import APP_SECRET, SECRET, token

MB = 1 << 20


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    root = tmp_path_factory.mktemp("surface")
    env = {k: v for k, v in os.environ.items() if k not in ("SERVER_API_KEY", "OPERATOR_TOKEN", "PANEL_SECRET")} | {
        "LLM_MODEL": "scripted", "EXPOSE_ADK_API": "false", "JWT_SECRET": SECRET, "WHATSAPP_APP_SECRET": APP_SECRET,
        "DATABASE_URL": f"sqlite+aiosqlite:///{root / 'shop.db'}", "SESSION_DB_URL": f"sqlite+aiosqlite:///{root / 'sessions.db'}",
        "PIZZERIA_DATA_DIR": str(root / "pizzeria"), "CHROMA_PATH": str(root / "chroma"), "KEYS_PATH": str(root / "keys.json"),
        "DATA_KEYS": Fernet.generate_key().decode(), "LOOKUP_KEY": "lookup-key-for-the-surface-test-0123456789",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LOG_LEVEL": "ERROR",
    }
    process, base = start_service(env, root / "service.log", ready="/healthz", timeout=90)
    try:
        # the customer 5491155550001 has a conversation: its close code must not tell
        assert httpx.post(f"{base}/v1/chat/pizzeria", json={"text": "hola"}, timeout=60,
                          headers={"Authorization": f"Bearer {token('5491155550001')}"}).status_code == 200
        yield httpx.URL(base).port, process
    finally:
        stop_services([process])


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _post(port: int, path: str, size: int, headers: dict[str, str], chunked: bool = False, timeout: float = 60) -> tuple[int, int]:
    """POST `size` bytes as fast as the server takes them; (status, bytes sent before the answer or the close)."""
    head = [f"POST {path} HTTP/1.1", "Host: gateway", "Content-Type: application/json", "Connection: close",
            *(f"{k}: {v}" for k, v in headers.items()),
            "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"]
    chunk = b"[" * MB
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        try:
            while sent < size:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break
                sock.sendall(framed)
                sent += len(chunk)
            if sent >= size and chunked:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = sock.recv(200)
    return int(answer.split()[1]) if answer.startswith(b"HTTP/1.1") else 0, sent


@pytest.mark.parametrize("with_session", [True, False])
def test_run_live_is_refused_at_the_handshake(served: tuple[int, subprocess.Popen[bytes]], with_session: bool) -> None:
    port, _ = served
    sessions = httpx.get(f"http://127.0.0.1:{port}/apps/pizzeria_agent/users/5491155550001/sessions", timeout=10)
    assert sessions.status_code == 404  # ADK's HTTP API is not served (EXPOSE_ADK_API=false)
    session_id = "whatsapp-unknown" if not with_session else "web-" + "0" * 24
    url = f"ws://127.0.0.1:{port}/run_live?app_name=pizzeria_agent&user_id=5491155550001&session_id={session_id}"
    with pytest.raises(InvalidStatus) as refused:
        with connect(url, open_timeout=10) as ws:
            ws.recv(timeout=5)
    assert refused.value.response.status_code == 403


def test_chat_without_a_token_is_answered_before_the_body(served: tuple[int, subprocess.Popen[bytes]]) -> None:
    port, _ = served
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /v1/chat/pizzeria HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 500000\r\n\r\n")  # and no body at all
        assert sock.recv(200).startswith(b"HTTP/1.1 401")


def test_huge_bodies_are_cut_without_growing_memory(served: tuple[int, subprocess.Popen[bytes]]) -> None:
    port, process = served
    before = _peak_rss_mb(process.pid)
    bad_signature = {"X-Hub-Signature-256": "sha256=" + "0" * 64}
    posts = [("/v1/chat/pizzeria", 150 * MB, {}, chunked) for chunked in (False, False, False, True, True, True)]
    posts.append(("/webhooks/whatsapp/pizzeria", 200 * MB, bad_signature, True))
    with concurrent.futures.ThreadPoolExecutor(len(posts)) as pool:
        answers = list(pool.map(lambda p: _post(port, *p), posts))
    after = _peak_rss_mb(process.pid)
    print(f"peak RSS {before:.0f} MB -> {after:.0f} MB; answers {answers}")
    assert all(status in (401, 413) for status, _ in answers), answers
    assert after - before < 64, f"peak RSS grew from {before:.0f} to {after:.0f} MB"
