"""Destinations, subscriptions, deliveries and their attempts: keyword-only async functions taking a connection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

# ----------------------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """One message queued for one destination: an alert's (``alert_id``) or a digest's (``digest_id``);
    due now unless ``due_at`` says when (a grouped incident waits for its window)."""

    delivery_id: str
    destination_id: str
    kind: str
    payload: bytes
    recipient: str | None = None
    alert_id: str | None = None
    digest_id: str | None = None
    trace: Mapping[str, str] | None = None
    incident_id: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one send of a delivery gave; ``next_attempt_at`` None after a failure means it failed for good."""

    delivery_id: str
    attempt: int
    status_code: int | None
    error: str | None
    latency_ms: float
    ok: bool
    next_attempt_at: datetime | None


# ----------------------------------------------------------------------------- deliveries

DELIVERY_COLUMNS = """delivery_id, destination_id, alert_id, digest_id, recipient, kind, status, attempts,
    next_attempt_at, last_error, created_at, succeeded_at"""


async def add_deliveries(conn: asyncpg.Connection, *, rows: Sequence[NewDelivery]) -> int:
    if not rows:
        return 0
    await conn.executemany(
        """INSERT INTO deliveries (delivery_id, destination_id, alert_id, digest_id, recipient, kind, payload, trace,
                                   incident_id, next_attempt_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10, now())) ON CONFLICT DO NOTHING""",
        [
            (
                r.delivery_id,
                r.destination_id,
                r.alert_id,
                r.digest_id,
                r.recipient,
                r.kind,
                r.payload,
                r.trace or {},
                r.incident_id,
                r.due_at,
            )
            for r in rows
        ],
    )
    return len(rows)


async def claim_due(conn: asyncpg.Connection, *, limit: int, lease_s: float, now: datetime) -> list[asyncpg.Record]:
    """Due deliveries of enabled destinations, leased: a sender that dies leaves them due again later."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """WITH due AS (
             SELECT d.delivery_id FROM deliveries d JOIN destinations t USING (destination_id)
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND t.enabled
             ORDER BY d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED)
           UPDATE deliveries d SET next_attempt_at = $1 + make_interval(secs => $3),
             leased_until = $1 + make_interval(secs => $3)
           FROM due, destinations t
           WHERE d.delivery_id = due.delivery_id AND t.destination_id = d.destination_id
           RETURNING d.delivery_id, d.destination_id, d.kind, d.payload, d.attempts, d.created_at, d.trace,
                     t.target, t.secrets""",
        now,
        limit,
        lease_s,
    )
    return rows


async def record_attempts(conn: asyncpg.Connection, *, rows: Sequence[Attempt], now: datetime) -> None:
    """A round's outcomes in two statements: the attempt log, then each delivery's state (succeeded,
    failed for good when ``next_attempt_at`` is None, else pending until then)."""
    if not rows:
        return
    await conn.execute(
        """INSERT INTO delivery_attempts (delivery_id, attempt, at, status_code, error, latency_ms)
           SELECT id, n, $7, code, err, ms
           FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::float8[], $6::bool[])
             AS u(id, n, code, err, ms, ok)
           ON CONFLICT DO NOTHING""",
        [r.delivery_id for r in rows],
        [r.attempt for r in rows],
        [r.status_code for r in rows],
        [r.error for r in rows],
        [r.latency_ms for r in rows],
        [r.ok for r in rows],
        now,
    )
    await conn.execute(
        """UPDATE deliveries d SET attempts = u.n, last_error = u.err, leased_until = NULL,
             status = CASE WHEN u.ok THEN 'succeeded' WHEN u.next_at IS NULL THEN 'failed' ELSE 'pending' END,
             succeeded_at = CASE WHEN u.ok THEN $6::timestamptz END,
             next_attempt_at = coalesce(u.next_at, d.next_attempt_at)
           FROM unnest($1::text[], $2::int[], $3::text[], $4::bool[], $5::timestamptz[]) AS u(id, n, err, ok, next_at)
           WHERE d.delivery_id = u.id""",
        [r.delivery_id for r in rows],
        [r.attempt for r in rows],
        [r.error for r in rows],
        [r.ok for r in rows],
        [r.next_attempt_at for r in rows],
        now,
    )


async def recovered(conn: asyncpg.Connection, *, destination_ids: Sequence[str]) -> list[str]:
    """Destinations that were failing and answered now: their failing mark is cleared."""
    rows = await conn.fetch(
        """UPDATE destinations SET failing_since = NULL
           WHERE destination_id = ANY($1::text[]) AND failing_since IS NOT NULL RETURNING destination_id""",
        list(destination_ids),
    )
    return [r[0] for r in rows]


async def mark_failing(
    conn: asyncpg.Connection, *, destination_ids: Sequence[str], now: datetime
) -> list[asyncpg.Record]:
    """Destinations that failed (and did not answer in this round): since when they have been failing."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """UPDATE destinations SET failing_since = coalesce(failing_since, $2)
           WHERE destination_id = ANY($1::text[]) RETURNING destination_id, failing_since, enabled""",
        list(destination_ids),
        now,
    )
    return rows


async def pull_forward(conn: asyncpg.Connection, *, destination_id: str, now: datetime) -> int:
    """The destination answers again: its deliveries waiting out a backoff are due now (not the ones
    another sender has in flight)."""
    status: str = await conn.execute(
        """UPDATE deliveries SET next_attempt_at = $2
           WHERE destination_id = $1 AND status = 'pending' AND next_attempt_at > $2
             AND (leased_until IS NULL OR leased_until < $2)""",
        destination_id,
        now,
    )
    return int(status.split()[-1])


async def get_delivery(conn: asyncpg.Connection, *, delivery_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE delivery_id = $1", delivery_id)


async def attempts(conn: asyncpg.Connection, *, delivery_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT attempt, at, status_code, error, latency_ms FROM delivery_attempts
           WHERE delivery_id = $1 ORDER BY attempt""",
        delivery_id,
    )
    return rows


async def list_deliveries(
    conn: asyncpg.Connection, *, destination_id: str | None, status: str | None, limit: int, offset: int
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT {DELIVERY_COLUMNS} FROM deliveries
            WHERE ($1::text IS NULL OR destination_id = $1) AND ($2::text IS NULL OR status = $2)
            ORDER BY created_at DESC, delivery_id LIMIT $3 OFFSET $4""",
        destination_id,
        status,
        limit,
        offset,
    )
    return rows


async def replay(
    conn: asyncpg.Connection, *, delivery_ids: Sequence[str] | None, destination_id: str | None, since: datetime | None
) -> int:
    status = await conn.execute(
        """UPDATE deliveries SET status = 'pending', next_attempt_at = now(), last_error = NULL
           WHERE ($1::text[] IS NULL OR delivery_id = ANY($1)) AND ($2::text IS NULL OR destination_id = $2)
             AND ($3::timestamptz IS NULL OR created_at >= $3)""",
        delivery_ids,
        destination_id,
        since,
    )
    return int(status.split()[-1])


async def state(conn: asyncpg.Connection) -> dict[str, float]:
    """Destinations disabled, deliveries waiting, and how long the longest-waiting due one has waited."""
    row = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM destinations WHERE NOT enabled)::float8 AS disabled,
                  (SELECT count(*) FROM deliveries WHERE status = 'pending')::float8 AS pending,
                  (SELECT coalesce(extract(epoch FROM now() - min(d.next_attempt_at)), 0)
                     FROM deliveries d JOIN destinations t USING (destination_id)
                    WHERE d.status = 'pending' AND t.enabled AND d.next_attempt_at <= now())::float8 AS overdue_s"""
    )
    assert row is not None
    return dict(row)
