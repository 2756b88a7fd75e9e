"""The event envelope: CloudEvents attributes as Kafka record headers, JSON payload as the value.

Headers (binary content mode of the CloudEvents Kafka binding): ``ce_specversion``, ``ce_id``,
``ce_type``, ``ce_source``, ``ce_time``, ``ce_subject`` (the account id), ``content-type``, and the
W3C ``traceparent`` / ``tracestate`` of the producing span. The record key is the subject, so an
account's events stay in order on one partition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"

Headers = list[tuple[str, bytes]]


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Envelope:
    id: str
    type: str
    source: str
    topic: str
    data: bytes
    subject: str | None = None
    time: datetime = field(default_factory=utcnow)
    key: str | None = None
    trace: dict[str, str] = field(default_factory=dict)

    @property
    def record_key(self) -> bytes | None:
        key = self.key if self.key is not None else self.subject
        return key.encode() if key is not None else None

    def headers(self) -> Headers:
        hdrs: Headers = [
            ("ce_specversion", SPECVERSION.encode()),
            ("ce_id", self.id.encode()),
            ("ce_type", self.type.encode()),
            ("ce_source", self.source.encode()),
            ("ce_time", isoformat(self.time).encode()),
            ("content-type", CONTENT_TYPE.encode()),
        ]
        if self.subject is not None:
            hdrs.append(("ce_subject", self.subject.encode()))
        hdrs.extend((k, v.encode()) for k, v in self.trace.items())
        return hdrs

    def json(self) -> Any:
        return orjson.loads(self.data)


class EnvelopeError(ValueError):
    """A record that does not carry the envelope's required headers."""


def from_record(*, topic: str, key: bytes | None, value: bytes | None, headers: Any) -> Envelope:
    hdrs = {k: (v.decode() if isinstance(v, bytes | bytearray) else str(v)) for k, v in headers or ()}
    missing = [h for h in ("ce_id", "ce_type", "ce_source") if not hdrs.get(h)]
    if missing:
        raise EnvelopeError(f"record lacks header(s) {', '.join(missing)}")
    if value is None:
        raise EnvelopeError("record has no value")
    time = datetime.fromisoformat(hdrs["ce_time"]) if hdrs.get("ce_time") else utcnow()
    return Envelope(
        id=hdrs["ce_id"],
        type=hdrs["ce_type"],
        source=hdrs["ce_source"],
        topic=topic,
        data=bytes(value),
        subject=hdrs.get("ce_subject"),
        time=time,
        key=key.decode() if key is not None else None,
        trace={k: hdrs[k] for k in ("traceparent", "tracestate") if k in hdrs},
    )
