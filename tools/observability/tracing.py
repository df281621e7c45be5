"""Span export over OTLP/HTTP, alongside ADK's own tracer setup rather than against it.

ADK creates its spans through the global tracer provider, which can be set only
once per process and never loses a processor. So:

- no global provider yet: we set an SDK `TracerProvider` (ADK's `get_fast_api_app`
  then adds its own processors to it instead of making another);
- a provider that already sends spans over OTLP (ADK's setup does when
  `OTEL_EXPORTER_OTLP_ENDPOINT` is in the process environment): left alone, so
  no span is sent twice;
- otherwise one `SpanRelay` is added, once, and every configuration points it
  at its own exporter (or at nothing), which is what makes this resettable.
"""

from __future__ import annotations

import logging

from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

log = logging.getLogger(__name__)


class SpanRelay(SpanProcessor):
    """Forwards spans to the exporter of the current configuration, if any."""

    def __init__(self) -> None:
        self.target: SpanProcessor | None = None

    def on_start(self, span: Span, parent_context: context.Context | None = None) -> None:
        if self.target is not None:
            self.target.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        if self.target is not None:
            self.target.on_end(span)

    def shutdown(self) -> None:
        if self.target is not None:
            self.target.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.target.force_flush(timeout_millis) if self.target is not None else True


_relay: SpanRelay | None = None


def route_spans(endpoint: str, resource: Resource) -> None:
    """Send spans to `{endpoint}/v1/traces` from now on; an empty endpoint stops our export."""
    global _relay
    if _relay is not None and _relay.target is not None:
        _relay.target.shutdown()
        _relay.target = None
    if not endpoint:
        return
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider):
        provider = TracerProvider(resource=resource)
        trace.set_tracer_provider(provider)
    if not isinstance(provider, TracerProvider):
        log.warning("tracer provider %s takes no span processors: spans are not exported", type(provider).__name__)
        return
    if _exports_otlp(provider):
        return
    if _relay is None:
        _relay = SpanRelay()
        provider.add_span_processor(_relay)
    _relay.target = BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"))


def flush_spans(timeout_millis: int) -> bool:
    return _relay.force_flush(timeout_millis) if _relay is not None else True


def _exports_otlp(provider: TracerProvider) -> bool:
    """Whether a processor other than ours already sends this provider's spans over OTLP (SDK internals)."""
    processors = getattr(provider._active_span_processor, "_span_processors", ())
    return any(isinstance(getattr(p, "span_exporter", None), OTLPSpanExporter) for p in processors)
