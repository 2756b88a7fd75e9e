"""What a CSM's quarterly pack reads: the CSM's book, the quarter's achievements and touches, and the
renewals and growth ahead (keyword-only, parameterised)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import asyncpg


async def book(conn: asyncpg.Connection, *, owner: str) -> list[asyncpg.Record]:
    """The CSM's accounts, largest first, with what the pack compares."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT account_id, coalesce(name, account_id) AS name, tier, coalesce(arr, 0)::float8 AS arr,
                  health_value, health_colour, adoption, value_rung, value_step, value_reason
           FROM accounts WHERE csm = $1 ORDER BY arr DESC NULLS LAST, account_id LIMIT 2000""",
        owner,
    )
    return rows


async def events_of(
    conn: asyncpg.Connection, *, accounts: Sequence[str], since: date, until: date, event_types: Sequence[str]
) -> list[asyncpg.Record]:
    """The timeline entries of these types on these accounts in the period (newest last)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT account_id, occurred_at, event_type, title, detail FROM timeline
           WHERE account_id = ANY($1::text[]) AND event_type = ANY($4::text[])
             AND occurred_at >= $2::date AND occurred_at < $3::date
           ORDER BY occurred_at, id LIMIT 5000""",
        list(accounts),
        since,
        until,
        list(event_types),
    )
    return rows


async def touches(
    conn: asyncpg.Connection, *, accounts: Sequence[str], since: date, until: date
) -> list[asyncpg.Record]:
    """Promised touches recorded in the period: (kind, outcome, count)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT kind, outcome, count(*) AS n FROM touches
           WHERE account_id = ANY($1::text[]) AND held_on >= $2 AND held_on < $3 GROUP BY kind, outcome
           ORDER BY kind, outcome""",
        list(accounts),
        since,
        until,
    )
    return rows


async def ahead(conn: asyncpg.Connection, *, accounts: Sequence[str], since: date, until: date) -> list[asyncpg.Record]:
    """Open renewals and expansions of these accounts renewing (or opened) up to ``until``."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT r.account_id, coalesce(a.name, a.account_id) AS name, r.kind, r.renewal_date,
                  coalesce(r.arr, 0)::float8 AS arr, r.at_risk, r.risk_level
           FROM renewals r JOIN accounts a USING (account_id)
           WHERE r.account_id = ANY($1::text[]) AND r.outcome IS NULL
             AND (r.kind = 'expansion' OR (r.renewal_date >= $2 AND r.renewal_date < $3))
           ORDER BY r.kind, r.renewal_date NULLS LAST, r.account_id""",
        list(accounts),
        since,
        until,
    )
    return rows
