"""A local stand-in for the Graph API's `POST /{version}/{phone_number_id}/messages`.

It checks requests the way the real API does for our use (bearer token, JSON shape
of a text message, the 4096-character body limit) and answers like it: 200 with a
`wamid`, or a Graph error body with 400/401/404. Tests can make it fail the next N
requests (`fail_next(n, 500)`, 429...) or answer slowly (`slow_next(n, seconds)`).

A slow request is still processed (recorded in `sent`) before its late answer, as
the real API would do, even if the client gave up waiting.

Use it as a context manager (tests: the `fake_graph` fixture of `tests/gateway/conftest.py`)::

    sender = GraphSender(fake_graph.url, PHONE_NUMBER_ID, fake_graph.access_token, ...)
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ERRORS = {  # status -> (Graph error code, message as the Graph API words it)
    400: (100, "(#100) Invalid parameter"),
    401: (190, "Invalid OAuth access token - Cannot parse access token"),
    404: (100, "Unsupported post request."),
    429: (130429, "(#130429) Rate limit hit"),
}


@dataclass(frozen=True)
class SentMessage:
    """A text message the fake accepted."""

    phone_number_id: str
    to: str
    text: str
    message_id: str


@dataclass(frozen=True)
class GraphRequest:
    """Any request the fake received, with the status it answered."""

    path: str
    authorization: str | None
    body: Any  # the parsed JSON, or the raw text when it was not JSON
    status: int


class FakeGraph:
    def __init__(self, access_token: str = "TEST-GRAPH-TOKEN", version: str = "v21.0") -> None:
        self.access_token = access_token
        self.version = version
        self.sent: list[SentMessage] = []
        self.requests: list[GraphRequest] = []
        self._failures: list[int | None] = []  # for the next requests in order: a status, or None (process it)
        self._delays: list[float] = []
        self._lock = threading.Lock()
        self._release = threading.Event()  # set on stop: slow answers end at once
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The API base URL to configure (like https://graph.facebook.com/v21.0)."""
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/{self.version}"

    def fail_next(self, n: int, status: int = 500, *, after: int = 0) -> None:
        """`n` requests, after the next `after` ones, get `status` (with a Graph error body) and are not processed."""
        with self._lock:
            self._failures.extend([None] * after + [status] * n)

    def slow_next(self, n: int, delay_s: float) -> None:
        """The next `n` requests are answered after `delay_s` seconds."""
        with self._lock:
            self._delays.extend([delay_s] * n)

    def start(self) -> FakeGraph:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
                status, answer, delay = fake._handle(self.path, self.headers.get("Authorization"), raw)
                if delay:
                    fake._release.wait(delay)
                body = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeGraph:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle(self, path: str, authorization: str | None, raw: str) -> tuple[int, dict[str, Any], float]:
        """(status, JSON answer, delay) for one request; records it."""
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw
        with self._lock:
            delay = self._delays.pop(0) if self._delays else 0.0
            failure = self._failures.pop(0) if self._failures else None
            status, answer = (failure, None) if failure else self._process(path, authorization, body)
            self.requests.append(GraphRequest(path, authorization, body, status))
        return status, answer or _error(status), delay

    def _process(self, path: str, authorization: str | None, body: Any) -> tuple[int, dict[str, Any] | None]:
        match = re.fullmatch(rf"/{re.escape(self.version)}/([^/]+)/messages", path)
        if match is None:
            return 404, None
        if authorization != f"Bearer {self.access_token}":
            return 401, None
        if not isinstance(body, dict):
            return 400, None
        text = body.get("text")
        message = text.get("body") if isinstance(text, dict) else None
        if (body.get("messaging_product") != "whatsapp" or body.get("type") != "text" or not body.get("to")
                or not isinstance(message, str) or not message.strip()):
            return 400, None
        if len(message) > 4096:
            return 400, _error(400, "(#100) Param text['body'] must be at most 4096 characters long.")
        sent = SentMessage(match.group(1), body["to"], message, f"wamid.FAKE{len(self.sent) + 1:06d}")
        self.sent.append(sent)
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": sent.to, "wa_id": sent.to}],
                     "messages": [{"id": sent.message_id}]}


def _error(status: int, message: str | None = None) -> dict[str, Any]:
    code, default = _ERRORS.get(status, (1, "An unknown error has occurred."))
    return {"error": {"message": message or default, "type": "OAuthException", "code": code,
                      "fbtrace_id": "FAKEtrace"}}
