"""Kafka handler: health, signals and renewals events → the account projection, then the alert rules.
Alerts, their outcomes and the deliveries they queue commit with the inbox claim (one transaction)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

import asyncpg

from bellwether_shared.envelope import utcnow
from bellwether_shared.records import Consumed
from notifications import alerting, repository


def make_handler(max_age: timedelta) -> Callable[[asyncpg.Connection, Sequence[Consumed]], Awaitable[None]]:
    """Events older than ``max_age`` (by their ``ce_time``) still update the projection but alert nobody:
    a new deployment reading the topics from the start, or a consumer back from a long outage, must not
    page people about last month."""

    async def handle(conn: asyncpg.Connection, batch: Sequence[Consumed]) -> None:
        now = utcnow()
        wanted = await repository.rule_event_types(conn)
        for c in batch:
            p = c.payload
            if not isinstance(p, dict):
                continue
            at = datetime.fromisoformat(p["occurred_at"]) if isinstance(p.get("occurred_at"), str) else c.envelope.time
            await alerting.project(conn, event_type=c.envelope.type, p=p, at=at)
            if c.envelope.type in wanted and now - c.envelope.time <= max_age:
                await alerting.on_event(conn, event_id=c.envelope.id, event_type=c.envelope.type, p=p, now=now)

    return handle
