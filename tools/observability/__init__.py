"""Observability: structured logs tagged with the conversation, metrics, OTLP export.

- `logs`: `configure_logging(settings)`, `conversation(agent, session_id, user_id)`;
  the customer and any phone as a keyed pseudonym, e-mails masked, customer text kept
  out unless `LOG_CONTENT=true`.
- `metrics`: `configure_telemetry(settings)`, `record_turn`, `record_tool_error`,
  `record_intent`, `record_handoff`, `metrics_snapshot()`, `flush_telemetry()`.
- `tracing`: ADK's spans to the OTLP collector when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
"""

from tools.observability.logs import configure_logging, conversation
from tools.observability.metrics import (
    configure_telemetry,
    flush_telemetry,
    metrics_snapshot,
    record_handoff,
    record_intent,
    record_tool_error,
    record_turn,
)

__all__ = [
    "configure_logging",
    "configure_telemetry",
    "conversation",
    "flush_telemetry",
    "metrics_snapshot",
    "record_handoff",
    "record_intent",
    "record_tool_error",
    "record_turn",
]
