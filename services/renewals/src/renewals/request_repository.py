"""Feature requests and bugs linked to the accounts (and contacts) that asked, with their status
history; what is at stake per request (ARR, renewals within 90 days) and per owner (the open requests
of their accounts); the attention queue. Keyword-only async functions on a connection."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

from bellwether_shared.events import ingest as iev

OPEN = ("open", "planned", "in_progress")


async def upsert(conn: asyncpg.Connection, *, e: iev.FeatureRequestStatusChanged, at: datetime) -> None:
    """Latest status wins; every status it passed through is kept; every asking account stays linked."""
    await conn.execute(
        """WITH req AS (
             INSERT INTO requests (request_id, title, kind, status, blocking, status_changed_at, first_seen_at)
             VALUES ($1, $2, coalesce($3::text, 'feature'), $4, coalesce($5::bool, false), $6::timestamptz,
                     $6::timestamptz)
             ON CONFLICT (request_id) DO UPDATE SET
               title = excluded.title, status = excluded.status, status_changed_at = excluded.status_changed_at,
               kind = coalesce($3::text, requests.kind), blocking = coalesce($5::bool, requests.blocking),
               first_seen_at = least(requests.first_seen_at, excluded.first_seen_at)
             WHERE excluded.status_changed_at >= requests.status_changed_at
           ), hist AS (
             INSERT INTO request_status_history VALUES ($1, $4, $6::timestamptz) ON CONFLICT DO NOTHING
           )
           INSERT INTO request_links VALUES ($1, $7, coalesce($8::text, ''), $6::timestamptz)
           ON CONFLICT DO NOTHING""",
        e.request_id,
        e.title,
        e.kind,
        e.status,
        e.blocking,
        at,
        e.account_id,
        e.contact_id,
    )


_AT_STAKE = """
    SELECT r.request_id, r.title, r.kind, r.status, r.blocking, r.first_seen_at, r.status_changed_at,
           (SELECT count(DISTINCT l.account_id) FROM request_links l WHERE l.request_id = r.request_id) AS accounts,
           (SELECT coalesce(sum(a.arr), 0)::float8 FROM accounts a WHERE a.account_id IN (
              SELECT l.account_id FROM request_links l WHERE l.request_id = r.request_id)) AS arr_at_stake,
           coalesce((SELECT array_agg(DISTINCT o.account_id ORDER BY o.account_id) FROM opportunities o
                     WHERE o.kind = 'renewal' AND o.stage <> 'closed' AND o.renewal_date <= $1::date + 90
                       AND o.account_id IN (SELECT l.account_id FROM request_links l
                                            WHERE l.request_id = r.request_id)), '{}') AS renewing_within_90_days
    FROM requests r
"""


async def get(conn: asyncpg.Connection, *, request_id: str, today: date) -> dict[str, Any] | None:
    row = await conn.fetchrow(_AT_STAKE + " WHERE r.request_id = $2", today, request_id)
    if row is None:
        return None
    links = await conn.fetch(
        """SELECT l.account_id, nullif(l.contact_id, '') AS contact_id, a.name AS account_name, a.arr::float8 AS arr,
                  a.csm, (SELECT min(renewal_date) FROM opportunities o WHERE o.account_id = l.account_id
                          AND o.kind = 'renewal' AND o.stage <> 'closed') AS renewal_date
           FROM request_links l LEFT JOIN accounts a USING (account_id) WHERE l.request_id = $1
           ORDER BY l.account_id, l.contact_id""",
        request_id,
    )
    history = await conn.fetch(
        "SELECT status, changed_at FROM request_status_history WHERE request_id = $1 ORDER BY changed_at",
        request_id,
    )
    return dict(row) | {"asked_by": [dict(r) for r in links], "history": [dict(h) for h in history]}


async def listed(
    conn: asyncpg.Connection,
    *,
    today: date,
    owner_id: str | None,
    status: str | None,
    account_id: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Requests with what is at stake; ``owner_id``: of the accounts that person owns (any role);
    ``status`` 'open' means open, planned or in progress."""
    rows = await conn.fetch(
        _AT_STAKE
        + """ WHERE ($2::text IS NULL OR EXISTS (
                  SELECT 1 FROM request_links m JOIN accounts o ON o.account_id = m.account_id
                  WHERE m.request_id = r.request_id AND $2 IN (o.csm, o.ae, o.renewal_owner)))
                AND ($3::text IS NULL OR ($3 = 'open' AND r.status = ANY($6::text[])) OR r.status = $3)
                AND ($7::text IS NULL OR EXISTS (SELECT 1 FROM request_links m
                                                 WHERE m.request_id = r.request_id AND m.account_id = $7))
              ORDER BY arr_at_stake DESC, r.request_id LIMIT $4 OFFSET $5""",
        today,
        owner_id,
        status,
        limit,
        offset,
        list(OPEN),
        account_id,
    )
    return [dict(r) for r in rows]


async def untold_requesters(conn: asyncpg.Connection, *, request_id: str) -> list[asyncpg.Record]:
    """The accounts that asked for a shipped request and were not told yet: each with its next open renewal
    and whether it churned (a renewal closed as churned, and none open: it is leaving, even before its
    contract's last day)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT l.account_id, r.title, r.kind, a.arr::float8 AS arr,
                  (SELECT min(o.renewal_date) FROM opportunities o WHERE o.account_id = l.account_id
                     AND o.kind = 'renewal' AND o.stage <> 'closed') AS renewal_date,
                  (EXISTS (SELECT 1 FROM opportunities o WHERE o.account_id = l.account_id AND o.outcome = 'churned')
                   AND NOT EXISTS (SELECT 1 FROM opportunities o WHERE o.account_id = l.account_id
                                   AND o.kind = 'renewal' AND o.stage <> 'closed')) AS churned
           FROM request_links l JOIN requests r USING (request_id) LEFT JOIN accounts a USING (account_id)
           WHERE l.request_id = $1 AND r.status = 'shipped'
             AND NOT EXISTS (SELECT 1 FROM request_told t WHERE t.request_id = $1 AND t.account_id = l.account_id)
           GROUP BY l.account_id, r.title, r.kind, a.arr ORDER BY l.account_id""",
        request_id,
    )
    return rows


async def mark_told(conn: asyncpg.Connection, *, request_id: str, account_ids: list[str]) -> None:
    await conn.execute(
        """INSERT INTO request_told (request_id, account_id) SELECT $1, unnest($2::text[])
           ON CONFLICT DO NOTHING""",
        request_id,
        account_ids,
    )
