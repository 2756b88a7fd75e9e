"""What support leaders read: tickets opened per window (by reason, bug-linked), the users active in
the same windows, and the requests still waiting. Keyword-only async functions on a connection; the
account filter is optional (None: the whole base)."""

from __future__ import annotations

from datetime import date

import asyncpg


async def ticket_windows(
    conn: asyncpg.Connection, *, account_id: str | None, start: date, before: date
) -> list[asyncpg.Record]:
    """(current window?, reason, bug-linked, tickets) of the tickets opened from ``before`` on; the current
    window starts at ``start``."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT opened_at >= $2::date AS current, contact_reason AS reason, bug_linked, count(*) AS tickets
           FROM tickets WHERE opened_at >= $3::date AND ($1::text IS NULL OR account_id = $1)
           GROUP BY 1, 2, 3""",
        account_id,
        start,
        before,
    )
    return rows


async def active_users(
    conn: asyncpg.Connection, *, account_id: str | None, start: date, before: date
) -> tuple[int, int]:
    """Distinct users (per account) active in the current window and in the one before it."""
    row = await conn.fetchrow(
        """SELECT count(DISTINCT (account_id, user_id)) FILTER (WHERE day >= $2) AS now,
                  count(DISTINCT (account_id, user_id)) FILTER (WHERE day < $2) AS before
           FROM user_days WHERE day >= $3 AND ($1::text IS NULL OR account_id = $1)""",
        account_id,
        start,
        before,
    )
    return int(row["now"]), int(row["before"])


async def waiting_requests(conn: asyncpg.Connection, *, account_id: str | None, limit: int) -> list[asyncpg.Record]:
    """Feature requests and bugs still open, planned or in progress, oldest first, with the accounts waiting."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT r.title, r.status, r.first_seen_at::date AS first_seen, count(DISTINCT l.account_id) AS accounts
           FROM requests r JOIN request_links l USING (request_id)
           WHERE r.status IN ('open', 'planned', 'in_progress') AND ($1::text IS NULL OR l.account_id = $1)
           GROUP BY r.request_id, r.title, r.status, r.first_seen_at
           ORDER BY r.first_seen_at, r.title LIMIT $2""",
        account_id,
        limit,
    )
    return rows
