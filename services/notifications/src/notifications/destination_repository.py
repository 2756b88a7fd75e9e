"""Destinations (where a person's alerts go, with their sealed secrets) and subscriptions (who is routed
to which destination): keyword-only async functions taking a connection."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bellwether_shared.documents import Document
from notifications.schemas import SubscriptionIn


@dataclass(frozen=True, slots=True)
class NewDestination:
    """A destination as stored: its target masked where the URL is the credential, its secrets sealed
    (a JSON document: each secret with when it was made and, once rotated, when it expires)."""

    destination_id: str
    name: str
    kind: str
    target: str
    secrets: list[dict[str, Any]] = field(default_factory=list)
    owner_person_id: str | None = None


DEST_COLUMNS = (
    "destination_id, name, kind, target, owner_person_id, enabled, disabled_reason, failing_since, created_at"
)


async def insert_destination(conn: asyncpg.Connection, *, d: NewDestination) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f"""INSERT INTO destinations (destination_id, name, kind, target, secrets, owner_person_id)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING {DEST_COLUMNS}""",
        d.destination_id,
        d.name,
        d.kind,
        d.target,
        d.secrets,
        d.owner_person_id,
    )
    return row


async def get_destination(
    conn: asyncpg.Connection, *, destination_id: str, lock: bool = False
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {DEST_COLUMNS}, secrets FROM destinations WHERE destination_id = $1{' FOR UPDATE' if lock else ''}",
        destination_id,
    )


async def list_destinations(conn: asyncpg.Connection, *, limit: int = 1000, offset: int = 0) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {DEST_COLUMNS} FROM destinations ORDER BY destination_id LIMIT $1 OFFSET $2", limit, offset
    )
    return rows


async def set_secrets(conn: asyncpg.Connection, *, destination_id: str, secrets: list[Document]) -> None:
    await conn.execute("UPDATE destinations SET secrets = $2 WHERE destination_id = $1", destination_id, secrets)


async def set_target(conn: asyncpg.Connection, *, destination_id: str, target: str) -> None:
    await conn.execute("UPDATE destinations SET target = $2 WHERE destination_id = $1", destination_id, target)


async def set_enabled(conn: asyncpg.Connection, *, destination_id: str, enabled: bool, reason: str | None) -> None:
    await conn.execute(
        """UPDATE destinations SET enabled = $2, disabled_reason = $3,
             failing_since = CASE WHEN $2 THEN NULL ELSE failing_since END
           WHERE destination_id = $1""",
        destination_id,
        enabled,
        reason,
    )


async def disable(conn: asyncpg.Connection, *, destination_id: str, reason: str) -> bool:
    """Disable an enabled destination; False when it was not enabled (already disabled elsewhere)."""
    status: str = await conn.execute(
        "UPDATE destinations SET enabled = false, disabled_reason = $2 WHERE destination_id = $1 AND enabled",
        destination_id,
        reason,
    )
    return status.endswith(" 1")


async def delete_destination(conn: asyncpg.Connection, *, destination_id: str) -> bool:
    await conn.execute(
        """UPDATE deliveries SET status = 'failed', last_error = 'destination deleted'
           WHERE destination_id = $1 AND status = 'pending'""",
        destination_id,
    )
    status: str = await conn.execute(
        "UPDATE destinations SET enabled = false, disabled_reason = 'deleted' WHERE destination_id = $1",
        destination_id,
    )
    return status.endswith(" 1")


async def add_subscription(conn: asyncpg.Connection, *, subscription_id: str, s: SubscriptionIn) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        """INSERT INTO subscriptions (subscription_id, destination_id, recipient, min_severity, event_types)
           VALUES ($1, $2, $3, $4, $5) RETURNING *""",
        subscription_id,
        s.destination_id,
        s.recipient,
        s.min_severity,
        s.event_types,
    )
    return row


async def list_subscriptions(
    conn: asyncpg.Connection, *, destination_id: str | None, limit: int = 1000, offset: int = 0
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT * FROM subscriptions WHERE ($1::text IS NULL OR destination_id = $1) ORDER BY subscription_id
           LIMIT $2 OFFSET $3""",
        destination_id,
        limit,
        offset,
    )
    return rows


async def delete_subscription(conn: asyncpg.Connection, *, subscription_id: str) -> bool:
    status: str = await conn.execute("DELETE FROM subscriptions WHERE subscription_id = $1", subscription_id)
    return status.endswith(" 1")


async def routes(conn: asyncpg.Connection, *, recipient: str, role: str | None) -> list[asyncpg.Record]:
    """Subscriptions (with their enabled destination) that take this recipient's alerts."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT s.destination_id, s.min_severity, s.event_types, d.kind, d.target
           FROM subscriptions s JOIN destinations d USING (destination_id)
           WHERE d.enabled AND s.recipient = ANY($1::text[])
           ORDER BY s.destination_id""",
        [recipient, "*", *([f"role:{role}"] if role else [])],
    )
    return rows
