"""Service metrics: OpenTelemetry instruments on a `MeterProvider` of our own.

The provider is ours, not the global one (that one is ADK's, and can be set only
once per process), so `configure_telemetry` can replace it — in tests too. It
always has an in-process reader behind `metrics_snapshot()` (the JSON metrics
endpoint) and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, a periodic OTLP/HTTP
exporter (interval: `OTEL_METRIC_EXPORT_INTERVAL`, default 60 s). The same
setting sends spans (ADK's included) to the collector: see `tracing`.

Instruments (every label has a small, code-defined set of values):
`turn_latency` (s, by agent), `model_calls_per_turn` (by agent), `tool_errors`
(by agent, tool), `intents` (by intent, routed_by), `handoffs` (by reason), and per
model call, in the server's own counts (by agent: the specialist asking):
`model_prompt_tokens` (by `cache`: "uncached" = evaluated, "cached" = reused from the
server's prompt cache), `model_output_tokens`, `model_prefill_seconds`,
`model_generation_seconds` (the last two only when the server reports them).
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any, Literal

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    HistogramDataPoint,
    InMemoryMetricReader,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource

from tools.observability.tracing import flush_spans, route_spans
from tools.settings import Settings

SERVICE_NAME = "local-shop-agents"
LATENCY_BUCKETS_S = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)
MODEL_CALL_BUCKETS = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 20.0)
TOKEN_BUCKETS = (0.0, 25.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1500.0, 3000.0, 6000.0)
MODEL_SECONDS_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)


class Telemetry:
    """One configuration: the meter provider, its readers and the instruments."""

    def __init__(self, endpoint: str, resource: Resource) -> None:
        self.snapshot_reader = InMemoryMetricReader()
        readers: list[MetricReader] = [self.snapshot_reader]
        if endpoint:
            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics")))
        self.provider = MeterProvider(metric_readers=readers, resource=resource, shutdown_on_exit=False)
        meter = self.provider.get_meter("tools.observability")
        self.turn_latency = meter.create_histogram(
            "turn_latency", unit="s", description="Seconds from a customer message to the reply, per agent.",
            explicit_bucket_boundaries_advisory=LATENCY_BUCKETS_S,
        )
        self.model_calls = meter.create_histogram(
            "model_calls_per_turn", unit="{call}", description="Model calls spent on one customer turn, per agent.",
            explicit_bucket_boundaries_advisory=MODEL_CALL_BUCKETS,
        )
        self.tool_errors = meter.create_counter("tool_errors", unit="{error}", description="Failed or made-up tool calls.")
        self.intents = meter.create_counter("intents", unit="{turn}", description="Classified intents, by who placed them.")
        self.handoffs = meter.create_counter("handoffs", unit="{conversation}", description="Conversations handed to a person.")
        tokens = {"unit": "{token}", "explicit_bucket_boundaries_advisory": TOKEN_BUCKETS}
        seconds = {"unit": "s", "explicit_bucket_boundaries_advisory": MODEL_SECONDS_BUCKETS}
        self.prompt_tokens = meter.create_histogram(
            "model_prompt_tokens", description="Prompt tokens per model call, uncached (evaluated) or cached (reused).", **tokens)
        self.output_tokens = meter.create_histogram("model_output_tokens", description="Tokens generated per model call.", **tokens)
        self.prefill_seconds = meter.create_histogram(
            "model_prefill_seconds", description="Seconds the server spent on the prompt of one call.", **seconds)
        self.generation_seconds = meter.create_histogram(
            "model_generation_seconds", description="Seconds the server spent generating one call's answer.", **seconds)


_lock = threading.Lock()
_telemetry: Telemetry | None = None


def _resource() -> Resource:
    return Resource.create({"service.name": os.getenv("OTEL_SERVICE_NAME", SERVICE_NAME)})


def _current() -> Telemetry:
    """The configured telemetry; in-process only until `configure_telemetry` is called."""
    global _telemetry
    with _lock:
        if _telemetry is None:
            _telemetry = Telemetry("", _resource())
        return _telemetry


def configure_telemetry(settings: Settings) -> None:
    """(Re)build metrics and span export from settings; counts start again from zero.

    Exporting and not `LOG_CONTENT`: ADK is told to keep message content off its
    legacy-format spans (`ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS=false` unless set
    explicitly; that knob defaults on). ADK's current span format carries content
    only when `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` asks for it.
    """
    global _telemetry
    endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/")
    if endpoint and not settings.log_content:
        os.environ.setdefault("ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS", "false")
    resource = _resource()
    with _lock:
        previous, _telemetry = _telemetry, Telemetry(endpoint, resource)
    route_spans(endpoint, resource)
    if previous is not None:
        previous.provider.shutdown()


def flush_telemetry(timeout_s: float = 10.0) -> bool:
    """Export whatever is pending now (metrics and spans); True if everything went out."""
    millis = int(timeout_s * 1000)
    metrics_ok = _current().provider.force_flush(millis)
    return flush_spans(millis) and metrics_ok


@atexit.register
def _export_on_exit() -> None:
    """Last metrics out (spans: the tracer provider shuts its processors down itself)."""
    if _telemetry is not None:
        _telemetry.provider.shutdown()


def record_turn(agent: str, seconds: float, model_calls: int) -> None:
    telemetry = _current()
    telemetry.turn_latency.record(seconds, {"agent": agent})
    telemetry.model_calls.record(model_calls, {"agent": agent})


def record_model_call(agent: str, cost: Any) -> None:
    """One model call's cost (a `tools.llm.cost.CallCost`) as the server counted it."""
    telemetry, labels = _current(), {"agent": agent}
    telemetry.prompt_tokens.record(cost.uncached_tokens, labels | {"cache": "uncached"})
    if cost.cached_tokens is not None:
        telemetry.prompt_tokens.record(cost.cached_tokens, labels | {"cache": "cached"})
    telemetry.output_tokens.record(cost.completion_tokens, labels)
    if cost.prefill_s is not None:
        telemetry.prefill_seconds.record(cost.prefill_s, labels)
    if cost.generation_s is not None:
        telemetry.generation_seconds.record(cost.generation_s, labels)


def record_tool_error(agent: str, tool: str) -> None:
    _current().tool_errors.add(1, {"agent": agent, "tool": tool})


def record_intent(intent: str, routed_by: Literal["rules", "model"]) -> None:
    _current().intents.add(1, {"intent": intent, "routed_by": routed_by})


def record_handoff(reason: str) -> None:
    _current().handoffs.add(1, {"reason": reason})


def metrics_snapshot() -> dict[str, Any]:
    """Totals since configuration, as `{name: {"unit", "points": [{"attributes", ...}]}}`.

    Histogram points carry count, sum, min, max, bounds and bucket_counts;
    counter points carry value. Instruments never recorded are absent.
    """
    data = _current().snapshot_reader.get_metrics_data()
    snapshot: dict[str, Any] = {}
    for resource_metrics in data.resource_metrics if data else []:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                points = [_point(p) for p in metric.data.data_points]
                snapshot[metric.name] = {"unit": metric.unit, "points": points}
    return snapshot


def _point(point: Any) -> dict[str, Any]:
    attributes = dict(point.attributes or {})
    if isinstance(point, HistogramDataPoint):
        return {
            "attributes": attributes, "count": point.count, "sum": point.sum, "min": point.min, "max": point.max,
            "bounds": list(point.explicit_bounds), "bucket_counts": list(point.bucket_counts),
        }
    return {"attributes": attributes, "value": point.value}
