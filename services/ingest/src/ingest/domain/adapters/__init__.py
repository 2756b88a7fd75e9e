"""Webhook adapters: each sender kind's documented payloads mapped to our signals (pure).

Every notification in a request becomes one :class:`Mapped`: a signal (validated afterwards exactly as
the signals API validates) or the problem that kept it from being one, never nothing. ``message_id``
derives from the sender's own event or notification id, so its retries are the same signal."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from ingest.domain.adapters.fields import Problem


@dataclass(frozen=True, slots=True)
class Mapped:
    message_id: str
    payload: Any
    signal: dict[str, Any] | None = None
    problem: Problem | None = None


def unmapped(message_id: str, payload: Any, field: str, reason: str) -> Mapped:
    return Mapped(message_id, payload, problem=Problem(field, reason))


def fingerprint(payload: Any) -> str:
    """A payload's own id when the sender gives none: the same body is the same message."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]


def from_fields(
    message_id: str, payload: Any, signal_type: str, fields: dict[str, Any], problems: list[Problem]
) -> Mapped:
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return unmapped(message_id, payload, first.field, first.reason + more)
    return Mapped(message_id, payload, signal={"type": signal_type, "message_id": message_id, **fields})
