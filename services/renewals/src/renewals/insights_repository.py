"""Aggregate queries behind books, forecast, backtest and retention reports. Sums and groupings
run in PostgreSQL; the pure core turns them into rates, AUC and utilisation."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import asyncpg

GROUPS: dict[str, str] = {
    "deal_quality_band": "coalesce(r.band, 'no review')",
    "lead_source": "coalesce(r.lead_source, 'unknown')",
    "lead_score_band": """CASE WHEN r.lead_score IS NULL THEN 'unknown' WHEN r.lead_score < 40 THEN '0-39'
                               WHEN r.lead_score < 70 THEN '40-69' ELSE '70-100' END""",
    "csm": "coalesce(a.csm, 'unassigned')",
    "ae": "coalesce(r.ae, a.ae, 'unassigned')",
}
PERIODS = {"month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}


async def holdings(conn: asyncpg.Connection, *, role: str, today: date) -> list[asyncpg.Record]:
    assert role in ("csm", "ae", "renewal_owner")
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT a.{role} AS owner_id, a.account_id, a.tier, a.growth_potential, a.engagement_preference,
                   a.engagement_model,
                   coalesce(ct.arr, a.arr, 0)::float8 AS arr, coalesce(rj.rejected, false) AS rejected,
                   (SELECT min(o.owner_id) FROM opportunities o WHERE o.account_id = a.account_id
                      AND o.kind = 'renewal' AND o.stage <> 'closed') AS renewal_owner,
                   coalesce((SELECT array_agg(DISTINCT o.owner_id) FROM opportunities o
                             WHERE o.account_id = a.account_id AND o.kind = 'expansion' AND o.stage <> 'closed'
                               AND o.owner_id IS NOT NULL), '{{}}') AS expansion_owners
            FROM accounts a
            LEFT JOIN (SELECT account_id, sum(arr) AS arr FROM contracts WHERE end_date >= $1 GROUP BY account_id) ct
              ON ct.account_id = a.account_id
            LEFT JOIN (SELECT account_id, true AS rejected FROM handoff_reviews WHERE status = 'rejected'
                       GROUP BY account_id) rj ON rj.account_id = a.account_id
            WHERE a.{role} IS NOT NULL""",
        today,
    )
    return rows


async def up_for_renewal(
    conn: asyncpg.Connection, *, start: date, end: date, period: Literal["month", "quarter", "year"]
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT to_char(c.end_date, '{PERIODS[period]}') AS period, coalesce(a.exposure, 'unknown') AS exposure,
                   coalesce(a.health_colour, 'unknown') AS colour, count(*) AS contracts, sum(c.arr)::float8 AS arr
            FROM contracts c LEFT JOIN accounts a ON a.account_id = c.account_id
            WHERE c.end_date >= $1 AND c.end_date < $2
            GROUP BY 1, 2, 3""",
        start,
        end,
    )
    return rows


async def closed_by_colour(conn: asyncpg.Connection, *, days_before: int) -> list[asyncpg.Record]:
    """Closed renewals by the health colour ``days_before`` days before their date (as the backtest reads
    it: what the forecast knew then, not the colour at close, which already shows the outcome)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT coalesce(h.colour, 'unknown') AS colour, count(*) AS closed,
                  count(*) FILTER (WHERE o.outcome = 'churned') AS churned
           FROM opportunities o
           LEFT JOIN LATERAL (
             SELECT colour FROM health_history h
             WHERE h.account_id = o.account_id AND h.computed_at <= (o.renewal_date - $1::int)::timestamptz
             ORDER BY h.computed_at DESC LIMIT 1) h ON true
           WHERE o.kind = 'renewal' AND o.stage = 'closed' GROUP BY 1""",
        days_before,
    )
    return rows


async def backtest_tallies(conn: asyncpg.Connection, *, days_before: int, churn: list[str]) -> list[asyncpg.Record]:
    """Closed renewals grouped by scorecard version, score and colour, with renewed and churned counts:
    the score is the account's last one at least ``days_before`` days before the renewal date (renewals
    with no score by then are left out). A few hundred rows, however many renewals."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT coalesce(h.scorecard_id, '?') AS scorecard_id, coalesce(h.scorecard_version, 0) AS scorecard_version,
                  h.value, h.colour, count(*) FILTER (WHERE NOT o.outcome = ANY($2)) AS renewed,
                  count(*) FILTER (WHERE o.outcome = ANY($2)) AS churned
           FROM opportunities o
           CROSS JOIN LATERAL (
             SELECT value, colour, scorecard_id, scorecard_version FROM health_history h
             WHERE h.account_id = o.account_id AND h.computed_at <= (o.renewal_date - $1::int)::timestamptz
             ORDER BY h.computed_at DESC LIMIT 1) h
           WHERE o.kind = 'renewal' AND o.stage = 'closed'
           GROUP BY 1, 2, 3, 4""",
        days_before,
        churn,
    )
    return rows


async def retention(conn: asyncpg.Connection, *, by: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT {GROUPS[by]} AS grp, count(*) AS closed, count(*) FILTER (WHERE o.outcome <> 'churned') AS renewed,
                   sum(o.arr)::float8 AS arr_before, sum(o.arr + coalesce(o.arr_change, 0))::float8 AS arr_after
            FROM opportunities o
            LEFT JOIN contracts c ON c.contract_id = o.contract_id
            LEFT JOIN handoff_reviews r ON r.deal_id = coalesce(c.origin_deal_id, c.deal_id)
            LEFT JOIN accounts a ON a.account_id = o.account_id
            WHERE o.kind = 'renewal' AND o.stage = 'closed'
              AND NOT ($1 AND coalesce(r.status, '') = 'rejected')
            GROUP BY 1 ORDER BY 1""",
        by == "csm",
    )
    return rows


async def attention_candidates(conn: asyncpg.Connection, *, owner_id: str) -> list[asyncpg.Record]:
    """The owner's accounts (as CSM, AE or renewal owner, or owner of their next renewal) with that
    renewal's date, risk and ARR, and what their promised touches are due from."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT a.account_id, a.name, a.health_colour, coalesce(o.arr, a.arr, 0)::float8 AS arr,
                  o.renewal_date, coalesce(o.risk_points, 0)::float8 AS risk_points,
                  coalesce(o.risk_reasons, '[]'::jsonb) AS risk_reasons,
                  a.tier, a.growth_potential, a.engagement_preference, a.engagement_model,
                  (SELECT min(c.start_date) FROM contracts c WHERE c.account_id = a.account_id) AS since,
                  coalesce((SELECT jsonb_object_agg(kind, last) FROM (
                      SELECT kind, max(held_on) AS last FROM touches t
                      WHERE t.account_id = a.account_id AND t.outcome = 'done' GROUP BY kind) d), '{}') AS done
           FROM accounts a
           LEFT JOIN LATERAL (SELECT * FROM opportunities x WHERE x.account_id = a.account_id AND x.kind = 'renewal'
                              AND x.stage <> 'closed' ORDER BY x.renewal_date LIMIT 1) o ON true
           WHERE $1 IN (a.csm, a.ae, a.renewal_owner) OR o.owner_id = $1""",
        owner_id,
    )
    return rows


async def churn_reasons(conn: asyncpg.Connection, *, start: date, end: date) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT coalesce(close_reason, 'unrecorded') AS reason, outcome, count(*) AS renewals,
                  (-sum(arr_change))::float8 AS arr_lost
           FROM opportunities WHERE kind = 'renewal' AND outcome IN ('churned', 'downgraded')
             AND closed_at >= $1 AND closed_at < $2
           GROUP BY 1, 2 ORDER BY arr_lost DESC, 1, 2""",
        start,
        end,
    )
    return [dict(r) for r in rows]


async def renewals_due(conn: asyncpg.Connection, *, start: date, end: date) -> list[asyncpg.Record]:
    """Renewal opportunities dated in [start, end): their owner, when they closed, when first at risk."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT opportunity_id, account_id, owner_id, renewal_date, closed_at, first_at_risk_at
           FROM opportunities WHERE kind = 'renewal' AND renewal_date >= $1 AND renewal_date < $2
           ORDER BY renewal_date, opportunity_id""",
        start,
        end,
    )
    return rows
