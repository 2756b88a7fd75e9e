"""Events for tests: usage records as ingest publishes them (for tests and benchmarks that write straight to
Kafka), and any event as a consumer receives it (for handler tests)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from bellwether_shared import topics
from bellwether_shared.envelope import Envelope
from bellwether_shared.events.base import Event
from bellwether_shared.events.ingest import UserDeleted
from bellwether_shared.records import Consumed


def usage_envelope(
    event_id: str,
    account: str,
    *,
    event: str,
    user: str = "u",
    timestamp: datetime | None = None,
    source: str = "bellwether/test",
    payload: dict[str, Any] | None = None,
    **fields: Any,
) -> Envelope:
    """A ``bellwether.usage.recorded.v1`` record; ``fields`` override payload fields, ``payload``
    replaces the payload whole (e.g. a malformed one)."""
    now = datetime.now(UTC)
    if payload is None:
        payload = {
            "message_id": event_id,
            "source_id": source.rsplit("/", 1)[-1],
            "account_id": account,
            "received_at": now,
            "user_id": user,
            "anonymous_id": None,
            "timestamp": timestamp or now,
            "kind": "track",
            "event": event,
            "properties": {},
            "context": {"groupId": account},
        } | fields
    return Envelope(
        id=event_id,
        type="bellwether.usage.recorded.v1",
        source=source,
        topic=topics.USAGE,
        subject=account,
        data=orjson.dumps(payload, option=orjson.OPT_UTC_Z),
    )


def consumed(event: Event, at: datetime | None = None, *, source: str = "bellwether/test") -> Consumed:
    """``event`` as a consumer receives it (a fresh id; ``at``: the envelope's time)."""
    env = event.envelope(event_id=str(uuid.uuid4()), source=source, time=at or datetime.now(UTC))
    return Consumed(env, 0, 0, orjson.loads(env.data))


def signal_fields(account: str, at: datetime | None = None) -> dict[str, Any]:
    """The fields every signal carries (ingest sets them), received and occurred at ``at``."""
    at = at or datetime.now(UTC)
    return {
        "message_id": uuid.uuid4().hex,
        "source_id": "s",
        "account_id": account,
        "received_at": at,
        "occurred_at": at,
    }


def deletion(user_id: str, *contact_ids: str, at: datetime | None = None) -> Consumed:
    """A user's deletion request as every consumer receives it (identity.v1)."""
    when = at or datetime.now(UTC)
    event = UserDeleted(
        message_id=f"del-{user_id}",
        source_id="admin",
        account_id=None,
        received_at=when,
        user_id=user_id,
        timestamp=when,
        contact_ids=list(contact_ids),
        requested_by="admin:test",
        suppress=False,
    )
    return consumed(event, when)
