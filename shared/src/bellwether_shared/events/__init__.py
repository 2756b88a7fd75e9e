"""The event catalogue: every event type, its topic and producer. See docs/events.md."""

from __future__ import annotations

from bellwether_shared.events import health, ingest, notifications, renewals
from bellwether_shared.events.base import Event, derive_event_id

CATALOGUE: dict[str, type[Event]] = {
    cls.event_type: cls for cls in (*ingest.EVENTS, *health.EVENTS, *renewals.EVENTS, *notifications.EVENTS)
}


def model_for(event_type: str) -> type[Event] | None:
    return CATALOGUE.get(event_type)


__all__ = ["CATALOGUE", "Event", "derive_event_id", "model_for"]
