"""Log lines: text on a terminal, JSON otherwise, tagged with the conversation, scrubbed of customer data.

`configure_logging(settings)` puts one console handler on the root logger
(`LOG_FORMAT=auto`: readable text when the stream is a terminal, one JSON object per
line when it is not; `json` or `text` force one). Every
record it writes — ours, ADK's, LiteLLM's — goes through two filters:

- `ContextFilter` adds `conversation_id`, `agent` and `user` from the
  `conversation(...)` block the record was logged in (fields passed with
  `extra=` win);
- `RedactionFilter` (unless `LOG_CONTENT=true`) replaces the `user` field by the
  customer's keyed pseudonym (`redact.pseudonym`: the session's user id, never a digit
  of the phone), masks phone numbers and e-mail addresses in the final message, the
  exception text (tracebacks, chained causes) and every extra field, and drops extra
  fields named `text` / `message_text` altogether. Database errors carry no statement
  parameters (every engine is built with `hide_parameters=True`). Python warnings and
  uncaught exceptions (main thread and other threads) are logged too, so no traceback
  reaches the console around the filters.

ADK and LiteLLM log whole model requests (customer text included) at DEBUG, so
with `LOG_LEVEL=DEBUG` and no `LOG_CONTENT` their loggers stay at INFO.

LiteLLM is quiet unless `LOG_LEVEL=DEBUG` (`quiet_litellm`): nothing below WARNING,
no "Give Feedback / Get Help" banners, and no console handler of its own, so its
lines go where everyone's go (our handler; ADK's log file under `adk run`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict

from tools.observability.redact import pseudonym, redact
from tools.settings import Settings

CONTENT_FIELDS = frozenset({"text", "message_text"})
"""Extra fields that carry customer text: dropped unless LOG_CONTENT."""
LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")
CONTENT_LOGGERS = ("google_adk", *LITELLM_LOGGERS)
"""Third-party loggers whose DEBUG lines carry model requests."""
_CONTEXT_FIELDS = ("conversation_id", "agent", "user")
_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class ConversationContext(BaseModel):
    model_config = ConfigDict(frozen=True)

    conversation_id: str
    agent: str
    user: str


_current: ContextVar[ConversationContext | None] = ContextVar("conversation", default=None)


@contextlib.contextmanager
def conversation(agent: str, session_id: str, user_id: str) -> Iterator[ConversationContext]:
    """Tag every log line inside the block (tasks started in it included) with this conversation."""
    context = ConversationContext(conversation_id=session_id, agent=agent, user=user_id)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        if context is not None:
            for name in _CONTEXT_FIELDS:
                if not hasattr(record, name):
                    setattr(record, name, getattr(context, name))
        return True


class RedactionFilter(logging.Filter):
    """Masks phones and e-mails everywhere in the record; a no-op when `log_content`."""

    def __init__(self, log_content: bool) -> None:
        super().__init__()
        self.log_content = log_content

    def filter(self, record: logging.LogRecord) -> bool:
        if self.log_content:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg} (bad log arguments {record.args!r})"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name in [n for n in vars(record) if n not in _RESERVED]:
            if name == "user" and isinstance(record.user, str):
                record.user = pseudonym(record.user)
            elif name in CONTENT_FIELDS:
                delattr(record, name)
            else:
                setattr(record, name, _scrub(getattr(record, name)))
        return True


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in CONTENT_FIELDS}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """Context fields first, then the record's other extras; None values left out."""
    names = [*_CONTEXT_FIELDS, *(n for n in vars(record) if n not in _RESERVED and n not in _CONTEXT_FIELDS)]
    return {n: getattr(record, n) for n in names if getattr(record, n, None) is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, the context and extra fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name, value in _fields(record).items():
            entry.setdefault(name, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message key=value ...` for reading on a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        return f"{super().formatMessage(record)} {fields}".rstrip()


class ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Our root handler (a class of its own, so reconfiguring replaces it)."""


def configure_logging(settings: Settings, stream: TextIO | None = None) -> ConsoleHandler:
    """Install the console handler on the root logger; calling again replaces it.

    A plain console handler already there (`logging.basicConfig`'s, e.g. from
    `adk web`) is removed too, so no unscrubbed copy of each line is printed.
    """
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, ConsoleHandler) or type(old) is logging.StreamHandler:
            root.removeHandler(old)
    handler = ConsoleHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactionFilter(settings.log_content))
    handler.setFormatter(JsonFormatter() if _format(settings, handler.stream) == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    quiet = settings.log_level == "DEBUG" and not settings.log_content
    for name in CONTENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if quiet else logging.NOTSET)
    quiet_litellm(settings.log_level)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = lambda hook: _log_uncaught(hook.exc_type, hook.exc_value, hook.exc_traceback)
    return handler


def _log_uncaught(kind: type[BaseException], value: BaseException | None, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value or kind(), tb)
        return
    logging.getLogger("uncaught").critical("uncaught exception", exc_info=(kind, value, tb))  # type: ignore[arg-type]


def _format(settings: Settings, stream: TextIO) -> str:
    if settings.log_format != "auto":
        return settings.log_format
    isatty = getattr(stream, "isatty", None)
    return "text" if isatty is not None and isatty() else "json"


def quiet_litellm(log_level: str) -> None:
    """LiteLLM: WARNING and up only, no banners, no console handler of its own — unless `log_level` is DEBUG.

    Call it again after `litellm` is imported (it adds its handler at import).
    """
    debug = log_level == "DEBUG"
    litellm = sys.modules.get("litellm")
    if litellm is not None:
        litellm.suppress_debug_info = not debug
    for name in LITELLM_LOGGERS:
        logger = logging.getLogger(name)
        for own in [h for h in logger.handlers if type(h) is logging.StreamHandler]:
            logger.removeHandler(own)
        if not debug:
            logger.setLevel(logging.WARNING)
