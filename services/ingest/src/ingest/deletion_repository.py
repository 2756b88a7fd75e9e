"""A user's personal data in ingest, forgotten; deletion requests and the suppression list (the user
only as a SHA-256). Keyword-only, parameterised."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg


def user_hash(user_id: str) -> str:
    return hashlib.sha256(user_id.encode()).hexdigest()


async def forget(conn: asyncpg.Connection, *, user_id: str, contact_ids: Sequence[str]) -> None:
    """Memberships, parked events and rejected payloads that name the user or the contacts (as a JSON
    string, so 'u1' never matches 'u10')."""
    needles = [f'"{n}"' for n in (user_id, *contact_ids)]
    await conn.execute("DELETE FROM user_accounts WHERE user_id = $1", user_id)
    await conn.execute(
        """DELETE FROM unattributed_events
            WHERE identity = $1 OR EXISTS (SELECT 1 FROM unnest($2::text[]) n WHERE strpos(message::text, n) > 0)""",
        user_id,
        needles,
    )
    await conn.execute(
        """DELETE FROM rejected_events
            WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) n WHERE strpos(payload::text, n) > 0)""",
        needles,
    )


async def record_request(
    conn: asyncpg.Connection,
    *,
    request_id: str,
    user_id: str,
    requested_by: str,
    at: datetime,
    suppress: bool,
    contacts: int,
) -> bool:
    """False when this request was recorded before (a sender's retry)."""
    done = await conn.execute(
        """INSERT INTO deletion_requests (request_id, user_hash, requested_by, requested_at, suppress, contacts)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id) DO NOTHING""",
        request_id,
        user_hash(user_id),
        requested_by,
        at,
        suppress,
        contacts,
    )
    if suppress:
        await conn.execute(
            """INSERT INTO suppressed_users (user_hash, suppressed_at, request_id) VALUES ($1, $2, $3)
               ON CONFLICT (user_hash) DO NOTHING""",
            user_hash(user_id),
            at,
            request_id,
        )
    return bool(done != "INSERT 0 0")


async def list_requests(conn: asyncpg.Connection, *, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT request_id, user_hash, requested_by, requested_at, suppress, contacts
             FROM deletion_requests ORDER BY requested_at DESC, request_id LIMIT $1 OFFSET $2""",
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def suppressed(conn: asyncpg.Connection) -> frozenset[str]:
    return frozenset(r["user_hash"] for r in await conn.fetch("SELECT user_hash FROM suppressed_users"))


async def lift(conn: asyncpg.Connection, *, user_id: str) -> bool:
    status: str = await conn.execute("DELETE FROM suppressed_users WHERE user_hash = $1", user_hash(user_id))
    return status != "DELETE 0"
