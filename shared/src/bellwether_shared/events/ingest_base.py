"""What every event ingest produces carries (``IngestEvent``), and what every signal carries on top
(``Signal``: the account it names and when it happened). The signals themselves: ``ingest`` and ``deals``."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from bellwether_shared import topics
from bellwether_shared.events.base import Event


class IngestEvent(Event):
    producer: ClassVar[str] = "ingest"

    message_id: str = Field(description="The client's messageId (unique per source); retries resend it")
    source_id: str = Field(description="The ingest source (integration) that sent it")
    account_id: str | None = Field(description="Resolved account (groupId); record key")
    received_at: datetime = Field(description="When ingest received it (server clock)")


class Signal(IngestEvent):
    topic: ClassVar[str] = topics.SIGNALS
    account_id: str  # type: ignore[assignment]  # signals always name their account
    occurred_at: datetime
