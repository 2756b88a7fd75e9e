"""Ingest's persistence: keyword-only async functions taking a connection. SQL is parameterised."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

import asyncpg

from bellwether_shared.uow import UnitOfWork, within
from ingest.domain.normalise import Message, Rejection, message_from_dict, message_to_dict


def unit(conn: asyncpg.Connection) -> AbstractAsyncContextManager[UnitOfWork]:
    """Ingest's unit of work on an open transaction: re-attributed events to the outbox."""
    return within(conn, source="bellwether/ingest")


async def insert_rejections(
    conn: asyncpg.Connection,
    *,
    source_id: str,
    request_id: str,
    endpoint: str,
    received_at: datetime,
    rejections: Sequence[Rejection],
) -> None:
    if not rejections:
        return
    await conn.executemany(
        """INSERT INTO rejected_events (source_id, request_id, endpoint, idx, message_id, field, reason,
                                        payload, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (request_id, idx) DO NOTHING""",
        [
            (
                source_id,
                request_id,
                endpoint,
                r.index,
                _storable(r.message_id),
                _storable(r.field),
                _storable(r.reason),
                {"value": _storable(r.payload)},
                received_at,
            )
            for r in rejections
        ],
    )


def _storable(value: Any) -> Any:
    """A rejected event is kept as it came, except NUL characters (PostgreSQL text and jsonb cannot
    hold them): each becomes U+FFFD. Its rejection reason says which field held one."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


async def list_rejections(
    conn: asyncpg.Connection, *, source_id: str | None, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT id, source_id, request_id, endpoint, idx, message_id, field, reason, payload, received_at
           FROM rejected_events
           WHERE ($1::text IS NULL OR source_id = $1) AND ($2::bigint IS NULL OR id < $2)
           ORDER BY id DESC LIMIT $3""",
        source_id,
        before_id,
        limit,
    )
    return [dict(r) | {"payload": (r["payload"] or {}).get("value")} for r in rows]


async def accounts_of(conn: asyncpg.Connection, *, identities: Iterable[str]) -> dict[str, str]:
    """Latest account each identity joined."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (user_id) user_id, account_id FROM user_accounts
           WHERE user_id = ANY($1::text[]) ORDER BY user_id, joined_at DESC""",
        list(identities),
    )
    return {r["user_id"]: r["account_id"] for r in rows}


async def lock_identities(conn: asyncpg.Connection, *, identities: Iterable[str]) -> None:
    """Serialise mapping changes and parking of unattributed events per identity (transaction-scoped)."""
    for ident in sorted(set(identities)):
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('ingest-identity'), hashtext($1))", ident)


async def join_account(conn: asyncpg.Connection, *, user_id: str, account_id: str, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO user_accounts (user_id, account_id, joined_at) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, account_id) DO UPDATE SET joined_at = greatest(user_accounts.joined_at, $3)""",
        user_id,
        account_id,
        at,
    )


async def leave_account(conn: asyncpg.Connection, *, user_id: str, account_id: str) -> None:
    await conn.execute("DELETE FROM user_accounts WHERE user_id = $1 AND account_id = $2", user_id, account_id)


async def park_unattributed(conn: asyncpg.Connection, *, items: Sequence[tuple[str, str, str, Message]]) -> None:
    """Keep (event_id, identity, source_id, message) until the identity's account is known."""
    if not items:
        return
    await conn.executemany(
        """INSERT INTO unattributed_events (event_id, identity, source_id, message, received_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING""",
        [(eid, ident, src, message_to_dict(m), m.received_at) for eid, ident, src, m in items],
    )


async def take_unattributed(conn: asyncpg.Connection, *, identities: Iterable[str]) -> list[tuple[str, Message]]:
    """Remove and return the parked messages of these identities, oldest first: (source_id, message)."""
    rows = await conn.fetch(
        """DELETE FROM unattributed_events WHERE identity = ANY($1::text[])
           RETURNING source_id, message, received_at""",
        list(identities),
    )
    rows = sorted(rows, key=lambda r: r["received_at"])
    return [(r["source_id"], message_from_dict(r["message"])) for r in rows]
