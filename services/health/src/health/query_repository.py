"""Health's read side: the queries behind the read API (scores, trends, milestones, users, usage,
the account list). Keyword-only, parameterised; routes shape the answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import asyncpg

from bellwether_shared.documents import Document


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
                  OR ($6 = 'flat' AND abs(coalesce(h.trend_30d, 0)) < 3))
             AND ($7::text IS NULL OR a.csm_id = $7 OR a.ae_id = $7)
             AND ($8::text IS NULL OR a.lifecycle_stage = $8)
             AND ($9::float8 IS NULL OR h.trend_7d <= $9)
             AND ($10::int IS NULL OR coalesce(cc.healthy_influential, 0) <= $10)"""
_FROM = """account_health h LEFT JOIN accounts a USING (account_id)
           LEFT JOIN champion_coverage cc USING (account_id)"""


@dataclass(frozen=True)
class AccountFilter:
    colour: str | None = None
    segment: str | None = None
    tier: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    trend: str | None = None  # up / down / flat over 30 days (±3 points is flat)
    owner: str | None = None  # the account's CSM or AE: a book of business
    lifecycle_stage: str | None = None
    max_trend_7d: float | None = None  # "health fell in the last 7 days": at most this change
    max_healthy_champions: int | None = None

    def args(self) -> tuple[Any, ...]:
        return (
            self.colour,
            self.segment,
            self.tier,
            self.min_score,
            self.max_score,
            self.trend,
            self.owner,
            self.lifecycle_stage,
            self.max_trend_7d,
            self.max_healthy_champions,
        )


async def accounts(
    conn: asyncpg.Connection, *, where: AccountFilter, sort: Sort, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """(total matching, one page): the sort is chosen from a fixed list, never from input text."""
    total = await conn.fetchval(f"SELECT count(*) FROM {_FROM} WHERE {_FILTER}", *where.args())
    rows = await conn.fetch(
        f"""SELECT h.account_id, a.name, a.tier, a.segment, a.lifecycle_stage, a.csm_id, a.ae_id, h.value,
                   h.colour, h.sufficient, h.trend_7d, h.trend_30d, h.computed_at,
                   cc.healthy_influential AS healthy_champions, cc.target AS champion_target
            FROM {_FROM} WHERE {_FILTER}
            ORDER BY {_SORTS[sort]}, h.account_id LIMIT $11 OFFSET $12""",
        *where.args(),
        limit,
        offset,
    )
    return int(total), [dict(r) for r in rows]


# ----------------------------------------------------------------------------- champions, goals, segments


async def champions(conn: asyncpg.Connection, *, account_id: str) -> dict[str, Any] | None:
    contacts = await conn.fetch(
        """SELECT c.contact_id, c.name, c.title, c.role, c.email, c.is_champion, c.departed, h.engagement,
                  h.delight, h.influence, coalesce(h.quadrant, 'unknown') AS quadrant, coalesce(h.healthy, false)
                  AS healthy, coalesce(h.influential, false) AS influential, coalesce(h.reasons, '[]') AS why,
                  h.assessed_at
           FROM contacts c LEFT JOIN contact_health h USING (account_id, contact_id)
           WHERE c.account_id = $1 ORDER BY c.departed, h.influential DESC NULLS LAST, c.contact_id""",
        account_id,
    )
    if not contacts:
        return None
    cov = await conn.fetchrow("SELECT * FROM champion_coverage WHERE account_id = $1", account_id)
    return {
        "account_id": account_id,
        "healthy_influential": cov["healthy_influential"] if cov else 0,
        "target": cov["target"] if cov else None,
        "contacts": [dict(r) for r in contacts],
    }


async def goals(conn: asyncpg.Connection, *, account_id: str) -> dict[str, Any]:
    goal_rows = await conn.fetch(
        """SELECT goal_id, name, metric, baseline, target_value, coalesce(computed_value, current_value)
                  AS current_value, progress_pct, coalesce(computed_status, status) AS status,
                  computed_status IS NOT NULL AS computed, due_date, linked_event, linked_window_days,
                  problem_severity, changed_at
           FROM goals WHERE account_id = $1 ORDER BY due_date NULLS LAST, goal_id""",
        account_id,
    )
    problems = await conn.fetch(
        """SELECT problem_id, description, severity, recorded_by, recorded_at FROM problems
           WHERE account_id = $1 ORDER BY severity DESC, problem_id""",
        account_id,
    )
    reviews = await conn.fetch(
        """SELECT review_id, reviewed_on, outcome, notes, goal_ids FROM value_reviews WHERE account_id = $1
           ORDER BY reviewed_on DESC, review_id""",
        account_id,
    )
    blocking = await conn.fetch(
        """SELECT r.request_id, r.title, r.kind, r.status, r.first_seen_at FROM request_links l
           JOIN requests r USING (request_id)
           WHERE l.account_id = $1 AND r.blocking AND r.status NOT IN ('shipped', 'declined')
           GROUP BY r.request_id ORDER BY r.first_seen_at""",
        account_id,
    )
    return {
        "account_id": account_id,
        "problems": [dict(r) for r in problems],
        "goals": [dict(r) for r in goal_rows],
        "value_reviews": [dict(r) for r in reviews],
        "blocking_requests": [dict(r) for r in blocking],
    }


async def saved_segments(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch("SELECT * FROM saved_segments ORDER BY key")]


async def saved_segment(conn: asyncpg.Connection, *, key: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM saved_segments WHERE key = $1", key)
    return dict(row) if row is not None else None


async def put_saved_segment(conn: asyncpg.Connection, *, key: str, name: str, filters: Document) -> dict[str, Any]:
    row = await conn.fetchrow(
        """INSERT INTO saved_segments (key, name, filters) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE
           SET name = excluded.name, filters = excluded.filters, updated_at = now() RETURNING *""",
        key,
        name,
        filters,
    )
    return dict(row)


async def delete_saved_segment(conn: asyncpg.Connection, *, key: str) -> bool:
    return bool(await conn.fetchval("DELETE FROM saved_segments WHERE key = $1 RETURNING true", key))
