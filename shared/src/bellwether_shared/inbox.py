"""Inbox: consumed event ids, claimed in the same transaction as the state they change.

Ids are stored as uuids (16 bytes, cheap to index). Every producer of ours uses uuids; any
other id (CloudEvents allows any string) is keyed by ``md5(id)`` read as a uuid, the same
mapping migration ``0002_inbox_uuid_keys`` applied to rows stored before.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import timedelta

import asyncpg

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def key(event_id: str) -> str:
    """The uuid an event id is stored under (canonical lower-case text)."""
    lowered = event_id.lower()
    if _UUID.match(lowered):
        return lowered
    h = hashlib.md5(event_id.encode(), usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


async def claim(conn: asyncpg.Connection, *, consumer: str, event_id: str) -> bool:
    """True when this event was not processed before by ``consumer`` (and is now recorded)."""
    return bool(await claim_many(conn, consumer=consumer, event_ids=[event_id]))


async def claim_many(conn: asyncpg.Connection, *, consumer: str, event_ids: Sequence[str]) -> set[str]:
    """Claim a batch at once; returns the ids that are new (duplicates within the batch count once)."""
    if not event_ids:
        return set()
    by_key = {key(i): i for i in event_ids}
    rows = await conn.fetch(
        """
        INSERT INTO inbox (consumer, event_id)
        SELECT $1, id FROM unnest($2::uuid[]) AS t(id)
        ON CONFLICT DO NOTHING
        RETURNING event_id
        """,
        consumer,
        list(by_key),
    )
    return {by_key[str(r[0])] for r in rows}


async def prune(conn: asyncpg.Connection, *, consumer: str, older_than: timedelta) -> int:
    """Forget ids older than the topics' retention: those can no longer be redelivered."""
    status = await conn.execute(
        "DELETE FROM inbox WHERE consumer = $1 AND processed_at < now() - $2::interval", consumer, older_than
    )
    return int(status.split()[-1])
