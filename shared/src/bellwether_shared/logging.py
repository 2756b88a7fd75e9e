"""Structured JSON logs (structlog), with secrets scrubbed before anything is written."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

_SECRET_KEYS = re.compile(r"(authorization|password|passwd|secret|token|write_?key|api_?key|cookie)", re.I)
# Every quantifier is bounded, so scrubbing is linear in the length of the text (an unbounded
# ``\w+://`` retried from every position of a long word was quadratic: seconds on 32 KB).
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]{0,31}://[^:/@\s]{1,256}:)([^@\s]{1,512})(@)")
_FREE_TEXT_SECRETS = re.compile(
    # Authorization values quoted in text: a credential has a digit or one of . _ ~ + / = - (not a plain word)
    r"(?i:\b(bearer|basic)\s{1,8})(?=[A-Za-z]{0,4096}[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,4096}"
    r"|\bbwk_[A-Za-z0-9_-]{16,128}"  # write keys
    r"|\bwhsec_[A-Za-z0-9+/=_-]{16,256}"  # webhook signing secrets
)
REDACTED = "[redacted]"


def _scrub_text(text: str) -> str:
    text = _URL_PASSWORD.sub(r"\1" + REDACTED + r"\3", text)
    return _FREE_TEXT_SECRETS.sub(lambda m: (m.group(1) + " " if m.group(1) else "") + REDACTED, text)


def scrub(value: Any, key: str = "") -> Any:
    """Replace secret-looking values (by key, and inside free text); strip passwords from URLs."""
    if key and _SECRET_KEYS.search(key):
        return REDACTED
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def _scrub_processor(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return {k: scrub(v, k) for k, v in event_dict.items()}


def _add_trace_ids(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event_dict["trace_id"] = format(ctx.trace_id, "032x")
        event_dict["span_id"] = format(ctx.span_id, "016x")
    return event_dict


class _CurrentStdout:
    """Whatever ``sys.stdout`` is when a line is written (a test runner may swap and close the one that
    was current when logging was configured)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def configure_logging(*, service: str, level: str = "INFO", json: bool = True) -> None:
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_ids,
        structlog.processors.format_exc_info,
        _scrub_processor,  # after formatting: the traceback text is scrubbed too
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=lambda o, **_: orjson.dumps(o, default=str).decode())
        if json
        else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStdout()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    # route stdlib loggers (uvicorn, aiokafka, asyncpg) through the same JSON output
    handler = logging.StreamHandler(_CurrentStdout())  # type: ignore[arg-type]
    handler.setFormatter(_StdlibJsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


class _StdlibJsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "timestamp": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "service": self.service,
            "event": scrub(record.getMessage()),
        }
        if record.exc_info:
            doc["exception"] = scrub(self.formatException(record.exc_info))
        return orjson.dumps(doc, default=str).decode()


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
