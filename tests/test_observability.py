"""Observability: JSON log lines tagged with the conversation, customer data masked,
metrics in the in-process snapshot, and OTLP export to a real (local) HTTP collector."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from google.adk.agents import LlmAgent
from google.adk.runners import InMemoryRunner
from google.genai import types
from opentelemetry import trace
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from tools.crypto import get_cipher
from tools.llm.guards import GUARDS, UNKNOWN_TOOL
from tools.llm.replies import CONFUSED
from tools.llm.scripted import Reply, Rule, ScriptedLlm, rules
from tools.observability import (
    configure_logging,
    configure_telemetry,
    conversation,
    flush_telemetry,
    metrics_snapshot,
    record_handoff,
    record_intent,
    record_tool_error,
    record_turn,
)
from tools.observability.logs import CONTENT_LOGGERS, ConsoleHandler
from tools.observability.redact import redact
from tools.settings import Settings

PHONE = "5491155550001"
EMAIL, MASKED_EMAIL = "juan.perez@correo.com.ar", "j***@correo.com.ar"
SECRET = "ZORRO-QX"  # a word only the customer's message contains


@pytest.fixture
def logs() -> Iterator[Callable[..., io.StringIO]]:
    """`logs(**settings)` configures logging into a buffer; the root logger is restored afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)

    def configure(**overrides: Any) -> io.StringIO:
        buffer = io.StringIO()
        configure_logging(Settings(**{"log_format": "json", "log_level": "INFO", "log_content": False, **overrides}), stream=buffer)
        return buffer

    yield configure
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name in CONTENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.fixture
def telemetry() -> Iterator[None]:
    """Fresh in-process metrics for the test, and no exporter left behind."""
    configure_telemetry(Settings(otel_exporter_otlp_endpoint=""))
    yield
    configure_telemetry(Settings(otel_exporter_otlp_endpoint=""))


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def points(name: str) -> dict[tuple[tuple[str, Any], ...], dict[str, Any]]:
    return {tuple(sorted(p["attributes"].items())): p for p in metrics_snapshot()[name]["points"]}


# --- logs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mi cel es 5491155550001", "mi cel es <5491155550001>"),
        ("tel +54 9 11 5555-0001.", "tel <5491155550001>."),
        ("(11) 5555-0001", "<1155550001>"),
        ("cel5491155550001", "cel<5491155550001>"),
        ("55550001", "<55550001>"),
        ("pizzeria:web:5491100009001:abc", "pizzeria:web:<5491100009001>:abc"),  # a phone before ":" too
        ("u-7c8bd8d3a465025db274afbdf92c68e3", "u-7c8bd8d3a465025db274afbdf92c68e3"),  # a pseudonym is left alone
        ("escribí a ana_b+x@mail.example.com", "escribí a a***@mail.example.com"),
        ("1234567", "1234567"),  # too short for a phone
        ("session web-9f86d081884c7d659a2feaa0c55ad015", "session web-9f86d081884c7d659a2feaa0c55ad015"),
        ("id 550e8400-e29b-41d4-a716-446655440000", "id 550e8400-e29b-41d4-a716-446655440000"),
        ("at 2026-05-01 10:30:00, factura 0003-00000012", "at 2026-05-01 10:30:00, factura 0003-00000012"),
        ("total $12.345.678", "total $12.345.678"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    """No digit of a phone stays: it becomes the keyed pseudonym (<digits> in `expected`)."""
    assert redact(text) == re.sub(r"<(\d+)>", lambda m: tel(m.group(1)), expected)


def tel(phone: str = PHONE) -> str:
    return get_cipher().pseudonym(phone)


async def test_lines_inside_a_conversation_carry_it_and_lines_outside_do_not(logs: Callable[..., io.StringIO]) -> None:
    buffer = logs()
    log = logging.getLogger("tests.observability")

    async def in_a_task() -> None:
        log.info("in a task")

    log.info("before")
    with conversation("pizzeria", "web-abc123", "cliente-7"):
        log.info("ours")
        logging.getLogger("google_adk.google.adk.runners").warning("theirs")
        await asyncio.create_task(in_a_task())
        log.info("turn done", extra={"agent": "ecommerce", "seconds": 0.5})
    log.info("after")

    before, ours, theirs, in_task, explicit, after = lines(buffer)
    for line in (ours, theirs, in_task):
        assert (line["conversation_id"], line["agent"], line["user"]) == ("web-abc123", "pizzeria", tel("cliente-7"))
    assert theirs["logger"] == "google_adk.google.adk.runners" and theirs["level"] == "WARNING"
    assert explicit["agent"] == "ecommerce" and explicit["seconds"] == 0.5  # extra= wins over the context
    for line in (before, after):
        assert {"conversation_id", "agent", "user"}.isdisjoint(line)
    assert after["msg"] == "after" and after["logger"] == "tests.observability" and after["ts"].endswith("+00:00")


def test_phones_and_emails_are_masked_and_text_fields_dropped_by_default(logs: Callable[..., io.StringIO]) -> None:
    buffer = logs()
    log = logging.getLogger("tests.observability")
    with conversation("pizzeria", "wa-1", PHONE):
        log.info("order from %s <%s>", PHONE, EMAIL, extra={"text": "quiero una muzza", "to": EMAIL, "meta": {"phone": PHONE}})
        try:
            raise RuntimeError(f"no customer {PHONE}")
        except RuntimeError:
            log.exception("lookup failed")

    raw = buffer.getvalue()
    assert PHONE not in raw and EMAIL not in raw and "quiero una muzza" not in raw
    order, failure = lines(buffer)
    assert order["msg"] == f"order from {tel()} <{MASKED_EMAIL}>"
    assert order["user"] == tel() and order["to"] == MASKED_EMAIL and order["meta"] == {"phone": tel()}
    assert "text" not in order
    assert f"RuntimeError: no customer {tel()}" in failure["exc"]
    assert "0001" not in raw, "no digit of the phone is left to brute-force the rest from"


def test_log_content_shows_them(logs: Callable[..., io.StringIO]) -> None:
    buffer = logs(log_content=True)
    with conversation("pizzeria", "wa-1", PHONE):
        logging.getLogger("tests.observability").info("order from %s <%s>", PHONE, EMAIL, extra={"text": "quiero una muzza"})
    (line,) = lines(buffer)
    assert line["msg"] == f"order from {PHONE} <{EMAIL}>" and line["user"] == PHONE and line["text"] == "quiero una muzza"


def test_text_format_keeps_the_fields_and_the_masking(logs: Callable[..., io.StringIO]) -> None:
    buffer = logs(log_format="text")
    with conversation("ecommerce", "web-9", "cliente-9"):
        logging.getLogger("tests.observability").warning("call %s", PHONE)
    line = buffer.getvalue().strip()
    assert line.endswith(f"WARNING tests.observability: call {tel()} conversation_id=web-9 agent=ecommerce user={tel('cliente-9')}")


def test_debug_keeps_model_requests_out_unless_log_content(logs: Callable[..., io.StringIO]) -> None:
    adk = logging.getLogger("google_adk.google.adk.models.lite_llm")
    buffer = logs(log_level="DEBUG")
    adk.debug("LLM Request: quiero una muzza")
    logging.getLogger("tests.observability").debug("our debug line")
    assert [line["msg"] for line in lines(buffer)] == ["our debug line"]

    buffer = logs(log_level="DEBUG", log_content=True)
    adk.debug("LLM Request: quiero una muzza")
    assert [line["msg"] for line in lines(buffer)] == ["LLM Request: quiero una muzza"]


def test_configuring_again_replaces_our_handler_and_basic_config(logs: Callable[..., io.StringIO]) -> None:
    root = logging.getLogger()
    plain = logging.StreamHandler(io.StringIO())  # what logging.basicConfig (e.g. `adk web`) installs
    root.addHandler(plain)
    logs()
    buffer = logs()
    assert plain not in root.handlers
    assert sum(isinstance(h, ConsoleHandler) for h in root.handlers) == 1
    logging.getLogger("tests.observability").info("once")
    assert [line["msg"] for line in lines(buffer)] == ["once"]


# --- metrics ----------------------------------------------------------------


def test_recorded_metrics_appear_in_the_snapshot(telemetry: None) -> None:
    record_turn("pizzeria", 0.4, 1)
    record_turn("pizzeria", 3.0, 3)
    record_turn("ecommerce", 1.5, 0)
    record_tool_error("order_agent", "add_item_to_order")
    record_tool_error("order_agent", "add_item_to_order")
    record_intent("order_status", "rules")
    record_intent("order_status", "model")
    record_handoff("complex_complaint")

    latency = points("turn_latency")
    pizzeria = latency[(("agent", "pizzeria"),)]
    assert pizzeria["count"] == 2 and pizzeria["sum"] == pytest.approx(3.4)
    assert pizzeria["bounds"][:5] == [0.25, 0.5, 1.0, 2.0, 4.0]
    assert pizzeria["bucket_counts"][:6] == [0, 1, 0, 0, 1, 0]  # 0.4 in (0.25, 0.5], 3.0 in (2, 4]
    assert latency[(("agent", "ecommerce"),)]["count"] == 1
    assert metrics_snapshot()["turn_latency"]["unit"] == "s"
    calls = points("model_calls_per_turn")
    assert (calls[(("agent", "pizzeria"),)]["sum"], calls[(("agent", "ecommerce"),)]["sum"]) == (4, 0)
    assert points("tool_errors")[(("agent", "order_agent"), ("tool", "add_item_to_order"))]["value"] == 2
    intents = points("intents")
    assert intents[(("intent", "order_status"), ("routed_by", "rules"))]["value"] == 1
    assert intents[(("intent", "order_status"), ("routed_by", "model"))]["value"] == 1
    assert points("handoffs")[(("reason", "complex_complaint"),)]["value"] == 1

    configure_telemetry(Settings(otel_exporter_otlp_endpoint=""))
    assert metrics_snapshot() == {}  # a new configuration starts from zero


def lookup_customer(phone: str) -> dict[str, Any]:
    """Busca un cliente por teléfono."""
    raise RuntimeError(f"customer store unreachable while looking up {phone}")


def probe_runner() -> InMemoryRunner:
    """A real LlmAgent with the shared guards, whose scripted model calls a failing tool or a made-up one."""
    policy = rules(
        Rule("probe_agent", "falla", reply=Reply.call("lookup_customer", phone=PHONE)),
        Rule("probe_agent", "inventa", reply=Reply.call("lookup_everything")),
    )
    agent = LlmAgent(name="probe_agent", model=ScriptedLlm(policy=policy), instruction="Probe.", tools=[lookup_customer], **GUARDS)
    return InMemoryRunner(agent=agent, app_name="probe")


async def say(runner: InMemoryRunner, session_id: str, text: str) -> str:
    message = types.Content(role="user", parts=[types.Part(text=text)])
    replies = []
    with conversation("probe", session_id, PHONE):
        async for event in runner.run_async(user_id=PHONE, session_id=session_id, new_message=message):
            replies += [p.text for p in (event.content.parts if event.content else None) or [] if p.text and event.author != "user"]
    return " ".join(replies)


async def test_tool_failures_in_a_turn_are_counted_and_logged_without_the_phone(
    telemetry: None, logs: Callable[..., io.StringIO]
) -> None:
    buffer = logs()
    runner = probe_runner()
    session = await runner.session_service.create_session(app_name="probe", user_id=PHONE)
    assert "falló" in await say(runner, session.id, f"falla, mi número es {PHONE}")
    assert await say(runner, session.id, "inventa una herramienta") == CONFUSED, "the refusal names tools: never shown"

    errors = points("tool_errors")
    assert errors[(("agent", "probe_agent"), ("tool", "lookup_customer"))]["value"] == 1
    assert errors[(("agent", "probe_agent"), ("tool", UNKNOWN_TOOL))]["value"] == 1
    assert PHONE not in buffer.getvalue()
    ours = {line["msg"]: line for line in lines(buffer) if line["logger"] == "tools.llm.guards"}
    failed, unknown = ours["tool lookup_customer failed"], ours["model called unknown tool 'lookup_everything'"]
    assert failed["conversation_id"] == unknown["conversation_id"] == session.id and failed["user"] == tel()
    assert f"looking up {tel()}" in failed["exc"]


# --- OTLP export ----------------------------------------------------------------


class Collector(ThreadingHTTPServer):
    """A stand-in OTLP/HTTP collector: records every POST (path, decompressed body)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CollectorHandler)
        self.received: list[tuple[str, bytes]] = []

    def bodies(self, path: str) -> list[bytes]:
        return [body for p, body in self.received if p == path]


class _CollectorHandler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[Collector]:
    """A running collector; telemetry is pointed back at nothing before it stops."""
    monkeypatch.delenv("ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS", raising=False)  # restored after the test
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    configure_telemetry(Settings(otel_exporter_otlp_endpoint=""))
    server.shutdown()
    thread.join()


def metric_names(body: bytes) -> set[str]:
    request = ExportMetricsServiceRequest.FromString(body)
    return {m.name for rm in request.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}


def exported_spans(bodies: list[bytes]) -> list[Any]:
    requests = [ExportTraceServiceRequest.FromString(body) for body in bodies]
    return [span for r in requests for rs in r.resource_spans for ss in rs.scope_spans for span in ss.spans]


async def test_metrics_and_spans_go_to_the_otlp_endpoint(collector: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN", "1")  # ADK's legacy spans: message content on by default
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}/"
    configure_telemetry(Settings(otel_exporter_otlp_endpoint=endpoint, log_content=False))
    record_turn("pizzeria", 0.7, 2)
    with trace.get_tracer("tests.observability").start_as_current_span("probe-span"):
        pass
    runner = probe_runner()
    session = await runner.session_service.create_session(app_name="probe", user_id=PHONE)
    await say(runner, session.id, f"falla, mi número es {PHONE}, código {SECRET}")
    assert flush_telemetry(timeout_s=10)

    metrics = collector.bodies("/v1/metrics")
    assert metrics and all(metrics)
    assert {"turn_latency", "model_calls_per_turn", "tool_errors"} <= set().union(*map(metric_names, metrics))
    spans = exported_spans(collector.bodies("/v1/traces"))
    names = {span.name for span in spans}
    assert "probe-span" in names and any("probe_agent" in name for name in names)  # ADK's own spans too
    exported = b"".join(collector.bodies("/v1/traces"))
    assert SECRET.encode() not in exported and PHONE.encode() not in exported  # message content stays off ADK's spans
