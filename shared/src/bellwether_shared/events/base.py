"""Base class of every event payload: versioned, tolerant of unknown fields on read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

import orjson
from pydantic import BaseModel, ConfigDict

from bellwether_shared.envelope import Envelope, utcnow

# Namespace of deterministic event ids: the same (source, messageId) always gives the same id,
# so a client's retry of a message is recognised downstream as the same event.
EVENT_ID_NAMESPACE = uuid.UUID("6f1d2c4e-8a53-4c0e-9a2b-5b7e0d1f3c21")


def derive_event_id(*parts: str) -> str:
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, "\x1f".join(parts)))


class Event(BaseModel):
    """An event payload. Subclasses set ``event_type`` (past tense, versioned) and ``topic``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    event_type: ClassVar[str]
    topic: ClassVar[str]
    producer: ClassVar[str]

    def subject(self) -> str | None:
        """The account this event is about (record key and ``ce_subject``)."""
        return getattr(self, "account_id", None)

    def partition_key(self) -> str | None:
        return self.subject()

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json", exclude_none=False))

    def envelope(
        self, *, event_id: str, source: str, time: datetime | None = None, trace: dict[str, str] | None = None
    ) -> Envelope:
        return Envelope(
            id=event_id,
            type=self.event_type,
            source=source,
            topic=self.topic,
            data=self.to_json(),
            subject=self.subject(),
            time=time or utcnow(),
            key=self.partition_key(),
            trace=trace or {},
        )

    @classmethod
    def parse(cls, data: bytes | dict[str, Any]) -> Any:
        return cls.model_validate(orjson.loads(data) if isinstance(data, bytes | bytearray) else data)
