"""Alerts and what became of each for each recipient: keyword-only async functions taking a connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from notifications.domain import messages


async def insert_alert(conn: asyncpg.Connection, *, alert: messages.Alert, key: str) -> bool:
    """False when this rule already fired for this event (a redelivery)."""
    a = alert
    status = await conn.execute(
        """INSERT INTO alerts (alert_id, rule_id, event_id, event_type, account_id, severity, alert_key, title, text,
                               why, facts, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (rule_id, event_id) DO NOTHING""",
        a.alert_id,
        a.rule_id,
        a.event_id,
        a.event_type,
        a.account_id,
        a.severity,
        key,
        a.title,
        a.text,
        a.why,
        a.facts,
        a.created_at,
    )
    return bool(status.endswith(" 1"))


async def recipient_state(
    conn: asyncpg.Connection, *, recipient: str, key: str, now: datetime
) -> tuple[datetime | None, int]:
    """When this recipient last got (or was queued) an alert with this key; how many were sent in the last hour."""
    last = await conn.fetchval(
        "SELECT max(decided_at) FROM alert_outcomes WHERE recipient = $1 AND alert_key = $2 AND outcome <> 'duplicate'",
        recipient,
        key,
    )
    sent = await conn.fetchval(
        """SELECT count(*) FROM alert_outcomes
           WHERE recipient = $1 AND outcome = 'send' AND decided_at > $2::timestamptz - interval '1 hour'""",
        recipient,
        now,
    )
    return last, int(sent)


async def add_outcome(
    conn: asyncpg.Connection,
    *,
    alert_id: str,
    recipient: str,
    key: str,
    outcome: str,
    reason: str,
    at: datetime,
    incident_id: str | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO alert_outcomes (alert_id, recipient, alert_key, outcome, reason, decided_at, incident_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING""",
        alert_id,
        recipient,
        key,
        outcome,
        reason,
        at,
        incident_id,
    )


async def set_outcome(conn: asyncpg.Connection, *, alert_id: str, recipient: str, outcome: str, reason: str) -> None:
    await conn.execute(
        "UPDATE alert_outcomes SET outcome = $3, reason = $4 WHERE alert_id = $1 AND recipient = $2",
        alert_id,
        recipient,
        outcome,
        reason,
    )


async def get_alert(conn: asyncpg.Connection, *, alert_id: str) -> messages.Alert | None:
    r = await conn.fetchrow("SELECT * FROM alerts WHERE alert_id = $1", alert_id)
    return alert_of(r) if r is not None else None


def alert_of(r: Any) -> messages.Alert:
    return messages.Alert(
        alert_id=r["alert_id"],
        rule_id=r["rule_id"],
        event_type=r["event_type"],
        event_id=r["event_id"],
        account_id=r["account_id"],
        account_name=None,
        severity=r["severity"],
        title=r["title"],
        text=r["text"],
        why=r["why"],
        created_at=r["created_at"],
        facts=r["facts"],
    )


async def alerts(
    conn: asyncpg.Connection, *, account_id: str | None, limit: int, offset: int = 0
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT a.alert_id, a.rule_id, a.event_id, a.event_type, a.account_id, a.severity, a.title, a.text, a.why,
                  a.created_at,
                  coalesce(json_agg(json_build_object('recipient', o.recipient, 'outcome', o.outcome,
                                                      'reason', o.reason, 'digest_id', o.digest_id,
                                                      'incident_id', o.incident_id))
                           FILTER (WHERE o.alert_id IS NOT NULL), '[]') AS outcomes
           FROM alerts a LEFT JOIN alert_outcomes o USING (alert_id)
           WHERE ($1::text IS NULL OR a.account_id = $1)
           GROUP BY a.alert_id ORDER BY a.created_at DESC, a.alert_id LIMIT $2 OFFSET $3""",
        account_id,
        limit,
        offset,
    )
    return rows


# ----------------------------------------------------------------------------- digests


async def waiting_for_digest(conn: asyncpg.Connection, *, recipient: str | None) -> list[asyncpg.Record]:
    """Per recipient with alerts held back (digest or throttled): the oldest, the period, the role."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT o.recipient, min(o.decided_at) AS oldest, coalesce(p.digest, 'daily') AS period, p.role
           FROM alert_outcomes o LEFT JOIN people p ON p.person_id = o.recipient
           WHERE o.outcome IN ('digest', 'throttled') AND o.digest_id IS NULL AND ($1::text IS NULL OR o.recipient = $1)
           GROUP BY o.recipient, p.digest, p.role""",
        recipient,
    )
    return rows


async def take_for_digest(conn: asyncpg.Connection, *, recipient: str, digest_id: str) -> list[asyncpg.Record]:
    """Mark the recipient's held-back alerts as part of ``digest_id``; returns those alerts, oldest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """WITH taken AS (
             UPDATE alert_outcomes SET digest_id = $2
             WHERE recipient = $1 AND outcome IN ('digest', 'throttled') AND digest_id IS NULL
             RETURNING alert_id)
           SELECT a.*, o.incident_id FROM alerts a JOIN taken USING (alert_id)
           JOIN alert_outcomes o ON o.alert_id = a.alert_id AND o.recipient = $1
           ORDER BY a.created_at, a.alert_id""",
        recipient,
        digest_id,
    )
    return rows


async def insert_digest(
    conn: asyncpg.Connection, *, digest_id: str, recipient: str, period: str, alerts: int, at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO digests (digest_id, recipient, period, alerts, created_at) VALUES ($1, $2, $3, $4, $5)",
        digest_id,
        recipient,
        period,
        alerts,
        at,
    )
