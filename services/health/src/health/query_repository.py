"""Health's read side: the queries behind the read API (scores, trends, milestones, users, usage,
the account list). Keyword-only, parameterised; routes shape the answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import asyncpg


async def current(conn: asyncpg.Connection, *, account_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM account_health WHERE account_id = $1", account_id)
    return dict(row) if row is not None else None


async def history_since(conn: asyncpg.Connection, *, account_id: str, since: datetime) -> list[tuple[datetime, float]]:
    """Scores since ``since`` plus the last one before it: all a trend over that window needs."""
    rows = await conn.fetch(
        """(SELECT computed_at, value FROM scores WHERE account_id = $1 AND computed_at < $2
            ORDER BY computed_at DESC LIMIT 1)
           UNION ALL
           (SELECT computed_at, value FROM scores WHERE account_id = $1 AND computed_at >= $2)
           ORDER BY computed_at""",
        account_id,
        since,
    )
    return [(r["computed_at"], r["value"]) for r in rows]


async def scores(
    conn: asyncpg.Connection, *, account_id: str, since: datetime | None, limit: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT computed_at, value, colour, sufficient, scorecard_id, scorecard_version, reasons FROM scores
           WHERE account_id = $1 AND ($2::timestamptz IS NULL OR computed_at >= $2)
           ORDER BY computed_at DESC LIMIT $3""",
        account_id,
        since,
        limit,
    )
    return [dict(r) for r in rows]


async def milestones(conn: asyncpg.Connection, *, account_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT d.key, d.definition->>'name' AS name, coalesce(m.state, 'pending') AS state, m.achieved_on,
                  m.time_to_value_days
           FROM milestone_defs d LEFT JOIN account_milestones m ON m.milestone_key = d.key AND m.account_id = $1
           WHERE d.active ORDER BY d.key""",
        account_id,
    )
    return [dict(r) for r in rows]


async def users(conn: asyncpg.Connection, *, account_id: str, active_since: date) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT user_id, min(day) AS first_seen, max(day) AS last_seen,
                  CASE WHEN max(day) >= $2 THEN 'active' ELSE 'stopped' END AS status
           FROM user_days WHERE account_id = $1 GROUP BY user_id ORDER BY last_seen DESC, user_id""",
        account_id,
        active_since,
    )
    return [dict(r) for r in rows]


@dataclass(frozen=True)
class Usage:
    active: dict[str, int]  # dau, wau, mau, active_in_window
    by_event: list[dict[str, Any]]
    previous: int  # events in the window before


async def usage(conn: asyncpg.Connection, *, account_id: str, today: date, start: date, prev_start: date) -> Usage:
    active = await conn.fetchrow(
        """SELECT count(DISTINCT user_id) FILTER (WHERE day = $2) AS dau,
                  count(DISTINCT user_id) FILTER (WHERE day > $2 - 7) AS wau,
                  count(DISTINCT user_id) FILTER (WHERE day > $2 - 30) AS mau,
                  count(DISTINCT user_id) FILTER (WHERE day >= $3) AS active_in_window
           FROM user_days WHERE account_id = $1 AND day >= least($2 - 29, $3)""",
        account_id,
        today,
        start,
    )
    by_event = await conn.fetch(
        """SELECT event, sum(events)::bigint AS events FROM usage_daily WHERE account_id = $1 AND day >= $2
           GROUP BY event ORDER BY events DESC, event""",
        account_id,
        start,
    )
    previous = await conn.fetchval(
        "SELECT coalesce(sum(events), 0)::bigint FROM usage_daily WHERE account_id = $1 AND day >= $2 AND day < $3",
        account_id,
        prev_start,
        start,
    )
    return Usage(dict(active), [dict(r) for r in by_event], int(previous))


Sort = Literal["score", "-score", "trend", "-trend", "account"]
_SORTS: dict[str, str] = {
    "score": "h.value ASC",
    "-score": "h.value DESC",
    "trend": "h.trend_30d ASC NULLS LAST",
    "-trend": "h.trend_30d DESC NULLS LAST",
    "account": "h.account_id ASC",
}
_FILTER = """($1::text IS NULL OR h.colour = $1) AND ($2::text IS NULL OR a.segment = $2)
             AND ($3::text IS NULL OR a.tier = $3) AND ($4::float8 IS NULL OR h.value >= $4)
             AND ($5::float8 IS NULL OR h.value <= $5)
             AND ($6::text IS NULL OR ($6 = 'up' AND h.trend_30d >= 3) OR ($6 = 'down' AND h.trend_30d <= -3)
                  OR ($6 = 'flat' AND abs(coalesce(h.trend_30d, 0)) < 3))"""


@dataclass(frozen=True)
class AccountFilter:
    colour: str | None = None
    segment: str | None = None
    tier: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    trend: str | None = None  # up / down / flat over 30 days (±3 points is flat)

    def args(self) -> tuple[Any, ...]:
        return (self.colour, self.segment, self.tier, self.min_score, self.max_score, self.trend)


async def accounts(
    conn: asyncpg.Connection, *, where: AccountFilter, sort: Sort, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """(total matching, one page): the sort is chosen from a fixed list, never from input text."""
    total = await conn.fetchval(
        f"SELECT count(*) FROM account_health h LEFT JOIN accounts a USING (account_id) WHERE {_FILTER}", *where.args()
    )
    rows = await conn.fetch(
        f"""SELECT h.account_id, a.name, a.tier, a.segment, h.value, h.colour, h.sufficient, h.trend_7d,
                   h.trend_30d, h.computed_at
            FROM account_health h LEFT JOIN accounts a USING (account_id) WHERE {_FILTER}
            ORDER BY {_SORTS[sort]}, h.account_id LIMIT $7 OFFSET $8""",
        *where.args(),
        limit,
        offset,
    )
    return int(total), [dict(r) for r in rows]
