"""Incidents: one per account and person within the grouping window, their causes (the alerts whose
outcome for that person names the incident) and the pending deliveries that carry them. Keyword-only
async functions taking a connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


async def open_for(
    conn: asyncpg.Connection, *, account_id: str, recipient: str, since: datetime
) -> asyncpg.Record | None:
    """The person's latest incident about the account with a cause since ``since``, locked: two
    consumers' causes for the same person join it one after the other."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """SELECT incident_id, severity, told_severity, last_cause_at, revision FROM incidents
           WHERE account_id = $1 AND recipient = $2 AND last_cause_at >= $3
           ORDER BY last_cause_at DESC LIMIT 1 FOR UPDATE""",
        account_id,
        recipient,
        since,
    )
    return row


async def open_new(
    conn: asyncpg.Connection, *, incident_id: str, account_id: str, recipient: str, severity: str, at: datetime
) -> None:
    await conn.execute(
        """INSERT INTO incidents (incident_id, account_id, recipient, severity, opened_at, last_cause_at, revision)
           VALUES ($1, $2, $3, $4, $5, $5, 0)""",
        incident_id,
        account_id,
        recipient,
        severity,
        at,
    )


async def add_cause(
    conn: asyncpg.Connection, *, incident_id: str, severity: str, told: str | None, at: datetime
) -> int:
    """A cause joined (its outcome row names the incident): its severity, the severity the person was
    told at when a message went at once (``told``; the incident's only rises), and the time of the last
    cause; returns the new revision."""
    revision: int = await conn.fetchval(
        """UPDATE incidents SET severity = $2, sent = sent OR $3::text IS NOT NULL,
             told_severity = coalesce($3, told_severity), last_cause_at = greatest(last_cause_at, $4),
             revision = revision + 1
           WHERE incident_id = $1 RETURNING revision""",
        incident_id,
        severity,
        told,
        at,
    )
    return revision


async def named_in_message(conn: asyncpg.Connection, *, incident_id: str, recipient: str) -> None:
    """The incident's message went out naming every cause: those still waiting for the person's digest
    leave it (one cause, one message)."""
    await conn.execute(
        """UPDATE alert_outcomes SET outcome = 'grouped', reason = reason || '; named in the message of ' || $1
           WHERE incident_id = $1 AND recipient = $2 AND outcome IN ('digest', 'throttled') AND digest_id IS NULL""",
        incident_id,
        recipient,
    )


async def causes(conn: asyncpg.Connection, *, incident_ids: list[str]) -> list[asyncpg.Record]:
    """Every cause of these incidents (not the duplicates), oldest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT o.incident_id, a.alert_id, a.rule_id, a.severity, a.title, a.text, a.created_at, o.outcome
           FROM alert_outcomes o JOIN alerts a USING (alert_id)
           WHERE o.incident_id = ANY($1::text[]) AND o.outcome <> 'duplicate'
           ORDER BY a.created_at, a.alert_id""",
        incident_ids,
    )
    return rows


async def pending_deliveries(conn: asyncpg.Connection, *, incident_id: str, recipient: str) -> list[asyncpg.Record]:
    """The incident's messages to the person not yet attempted: they can still name a new cause."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT delivery_id, kind, alert_id FROM deliveries
           WHERE incident_id = $1 AND recipient = $2 AND status = 'pending' AND attempts = 0
           FOR UPDATE SKIP LOCKED""",
        incident_id,
        recipient,
    )
    return rows


async def set_payload(conn: asyncpg.Connection, *, delivery_id: str, payload: bytes) -> None:
    await conn.execute(
        "UPDATE deliveries SET payload = $2 WHERE delivery_id = $1 AND attempts = 0", delivery_id, payload
    )


async def list_incidents(
    conn: asyncpg.Connection, *, account_id: str | None, recipient: str | None, limit: int, offset: int
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT incident_id, account_id, recipient, severity, sent, told_severity, revision, opened_at,
                  last_cause_at
           FROM incidents WHERE ($1::text IS NULL OR account_id = $1) AND ($2::text IS NULL OR recipient = $2)
           ORDER BY last_cause_at DESC, incident_id LIMIT $3 OFFSET $4""",
        account_id,
        recipient,
        limit,
        offset,
    )
    return rows


async def get_incident(conn: asyncpg.Connection, *, incident_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """SELECT incident_id, account_id, recipient, severity, sent, told_severity, revision, opened_at,
                  last_cause_at
           FROM incidents WHERE incident_id = $1""",
        incident_id,
    )
    return dict(row) if row is not None else None
