"""Inbox: consumed event ids, claimed in the same transaction as the state they change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import asyncpg


async def claim(conn: asyncpg.Connection, *, consumer: str, event_id: str) -> bool:
    """True when this event was not processed before by ``consumer`` (and is now recorded)."""
    row = await conn.fetchval(
        "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
        consumer,
        event_id,
    )
    return row is not None


async def claim_many(conn: asyncpg.Connection, *, consumer: str, event_ids: Sequence[str]) -> set[str]:
    """Claim a batch at once; returns the ids that are new (duplicates within the batch count once)."""
    if not event_ids:
        return set()
    rows = await conn.fetch(
        """
        INSERT INTO inbox (consumer, event_id)
        SELECT $1, id FROM unnest($2::text[]) AS t(id)
        ON CONFLICT DO NOTHING
        RETURNING event_id
        """,
        consumer,
        list(dict.fromkeys(event_ids)),
    )
    return {r["event_id"] for r in rows}


async def prune(conn: asyncpg.Connection, *, consumer: str, older_than: timedelta) -> int:
    """Forget ids older than the topics' retention: those can no longer be redelivered."""
    status = await conn.execute(
        "DELETE FROM inbox WHERE consumer = $1 AND processed_at < now() - $2::interval", consumer, older_than
    )
    return int(status.split()[-1])
