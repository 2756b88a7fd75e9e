"""What the executive report reads (keyword-only, parameterised; the figures are the pure core's)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg


async def closed_renewals(conn: asyncpg.Connection, *, since: date, until: date) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT r.account_id, r.renewal_date, coalesce(r.arr, 0)::float8 AS arr,
                  coalesce(r.arr_change, 0)::float8 AS arr_change, r.outcome, a.tier, a.csm, a.ae, a.deal_rejected
           FROM renewals r JOIN accounts a USING (account_id)
           WHERE r.kind = 'renewal' AND r.outcome IS NOT NULL AND r.renewal_date >= $1 AND r.renewal_date < $2""",
        since,
        until,
    )
    return rows


async def arr_and_colours(
    conn: asyncpg.Connection, *, since: datetime
) -> tuple[dict[str, float], dict[str, list[Any]]]:
    arr = {
        r["account_id"]: float(r["arr"])
        for r in await conn.fetch("SELECT account_id, arr FROM accounts WHERE arr IS NOT NULL AND arr > 0")
    }
    history: dict[str, list[Any]] = {}
    for r in await conn.fetch(
        """(SELECT DISTINCT ON (account_id) account_id, at, colour FROM health_scores WHERE at < $1
            ORDER BY account_id, at DESC)
           UNION ALL (SELECT account_id, at, colour FROM health_scores WHERE at >= $1) ORDER BY account_id, at""",
        since,
    ):
        history.setdefault(r["account_id"], []).append((r["at"], r["colour"]))
    return arr, history


async def open_renewals(conn: asyncpg.Connection, *, since: date, until: date) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT r.renewal_date, coalesce(r.arr, a.arr, 0)::float8 AS arr,
                  coalesce(a.health_colour, 'unknown') AS colour
           FROM renewals r JOIN accounts a USING (account_id)
           WHERE r.kind = 'renewal' AND r.outcome IS NULL AND r.renewal_date >= $1 AND r.renewal_date < $2""",
        since,
        until,
    )
    return rows


async def onboarding(conn: asyncpg.Connection) -> dict[str, Any]:
    row = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE onboarding_started_at IS NOT NULL) AS started,
                  count(*) FILTER (WHERE onboarding_started_at IS NOT NULL AND (
                      SELECT count(DISTINCT aspect) FROM onboarding o WHERE o.account_id = a.account_id) = 2)
                    AS completed
           FROM accounts a"""
    )
    ttv = [
        r["ttv_days"]
        for r in await conn.fetch(
            """SELECT min(ttv_days) AS ttv_days FROM milestones WHERE state = 'achieved' AND ttv_days IS NOT NULL
           GROUP BY account_id"""
        )
    ]
    return {"started": int(row["started"]), "completed": int(row["completed"]), "ttv_days": ttv}


async def champions(conn: asyncpg.Connection) -> dict[str, Any]:
    row = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE healthy_champions IS NOT NULL) AS assessed,
                  count(*) FILTER (WHERE healthy_champions >= 1) AS covered FROM accounts"""
    )
    contacts = await conn.fetch(
        """SELECT a.account_id, a.name AS account_name, c.contact_id, coalesce(c.name, c.label, c.contact_id) AS name,
                  c.title, c.engagement, c.delight, c.influence, c.quadrant
           FROM contacts c JOIN accounts a USING (account_id)
           WHERE a.tier = 'strategic' AND c.engagement IS NOT NULL AND c.delight IS NOT NULL AND NOT c.departed
           ORDER BY a.account_id, c.contact_id LIMIT 500"""
    )
    return {"assessed": int(row["assessed"]), "covered": int(row["covered"]), "contacts": [dict(r) for r in contacts]}


async def value_ladder(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Accounts and ARR on each rung of the value ladder (rung None: not placed yet)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT value_rung AS rung, count(*) AS accounts, coalesce(sum(arr), 0)::float8 AS arr FROM accounts"
        " GROUP BY value_rung"
    )
    return rows


async def tickets_by_reason(conn: asyncpg.Connection, *, since: date, start: date, until: date) -> list[asyncpg.Record]:
    """(in the period?, reason, bug-linked, tickets) of the tickets opened from ``since`` (the period
    before) to ``until``; the period starts at ``start``."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT opened_at >= $2::date AS current, contact_reason AS reason, bug_linked, count(*) AS tickets
           FROM tickets WHERE opened_at >= $1::date AND opened_at < $3::date GROUP BY 1, 2, 3""",
        since,
        start,
        until,
    )
    return rows


async def waiting_requests(conn: asyncpg.Connection, *, limit: int) -> list[asyncpg.Record]:
    """Requests still open, planned or in progress, oldest first, with the accounts waiting and their ARR."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT r.title, min(r.status) AS status, min(coalesce(r.first_seen_at, r.changed_at))::date AS first_seen,
                  count(*) AS accounts, coalesce(sum(a.arr), 0)::float8 AS arr
           FROM requests r JOIN accounts a USING (account_id)
           WHERE r.status IN ('open', 'planned', 'in_progress')
           GROUP BY r.request_id, r.title ORDER BY first_seen, r.title LIMIT $1""",
        limit,
    )
    return rows


async def arr_at_risk(conn: asyncpg.Connection, *, since: date, until: date) -> float:
    """ARR of the open renewals at risk that renew from ``since`` to ``until``."""
    total = await conn.fetchval(
        """SELECT coalesce(sum(coalesce(r.arr, a.arr, 0)), 0)::float8 FROM renewals r JOIN accounts a USING (account_id)
           WHERE r.kind = 'renewal' AND r.outcome IS NULL AND r.at_risk
             AND r.renewal_date >= $1 AND r.renewal_date < $2""",
        since,
        until,
    )
    return float(total)


async def ttv_days(conn: asyncpg.Connection, *, since: date, until: date) -> list[int]:
    """Each account's time to value, for the first milestones achieved from ``since`` to ``until``."""
    rows = await conn.fetch(
        """SELECT min(ttv_days) AS ttv FROM milestones
           WHERE state = 'achieved' AND ttv_days IS NOT NULL AND on_date >= $1 AND on_date < $2 GROUP BY account_id""",
        since,
        until,
    )
    return [int(r["ttv"]) for r in rows]


async def moments(
    conn: asyncpg.Connection, *, since: date, until: date, event_types: Sequence[str]
) -> list[asyncpg.Record]:
    """The timeline entries of these types from ``since`` to ``until``, with their account's name and ARR."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT t.account_id, a.name, coalesce(a.arr, 0)::float8 AS arr, t.occurred_at, t.event_type, t.title,
                  t.detail
           FROM timeline t JOIN accounts a USING (account_id)
           WHERE t.event_type = ANY($3::text[]) AND t.occurred_at >= $1::date AND t.occurred_at < $2::date
           ORDER BY t.occurred_at LIMIT 5000""",
        since,
        until,
        list(event_types),
    )
    return rows


async def at_risk(conn: asyncpg.Connection, *, min_arr: float, since: datetime) -> list[dict[str, Any]]:
    """Accounts whose open renewal is at risk, ARR at least ``min_arr``, with their score history and the
    reasons at each change (the health entries of their timeline)."""
    accounts = await conn.fetch(
        """SELECT DISTINCT ON (a.account_id) a.account_id, a.name, coalesce(r.arr, a.arr)::float8 AS arr,
                  r.renewal_date, r.risk_points, r.risk_reasons
           FROM renewals r JOIN accounts a USING (account_id)
           WHERE r.kind = 'renewal' AND r.outcome IS NULL AND r.at_risk AND coalesce(r.arr, a.arr, 0) >= $1
           ORDER BY a.account_id, r.renewal_date LIMIT 50""",
        min_arr,
    )
    out: list[dict[str, Any]] = []
    for a in accounts:
        scores = await conn.fetch(
            "SELECT at, value, colour FROM health_scores WHERE account_id = $1 AND at >= $2 ORDER BY at",
            a["account_id"],
            since,
        )
        changes = await conn.fetch(
            """SELECT occurred_at, title FROM timeline WHERE account_id = $1 AND kind = 'health'
                 AND event_type LIKE '%score_changed%' AND occurred_at >= $2 ORDER BY occurred_at""",
            a["account_id"],
            since,
        )
        out.append(dict(a) | {"scores": [dict(s) for s in scores], "changes": [dict(c) for c in changes]})
    return out
