"""Fakes for fast use-case tests, in the cosmicpython manner: a unit of work that keeps the events it was
given in memory (``committed`` stays false until the test says the unit completed). Repositories as
objects get an in-memory fake beside the test that uses them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bellwether_shared.events.base import Event


@dataclass
class FakeUnitOfWork:
    now: datetime
    events: list[Event] = field(default_factory=list)

    def emit(self, *events: Event, event_id: str | None = None, at: datetime | None = None) -> None:
        self.events.extend(events)
