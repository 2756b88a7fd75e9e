"""The account view's reads: one account whole, its timeline, and the portfolio list (keyword-only,
parameterised; routes shape the answers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

_PARTS = {
    "contacts": """SELECT contact_id, name, title, role, is_champion, departed, label, engagement, delight,
                          influence, coalesce(quadrant, 'unknown') AS quadrant, healthy, influential, why, assessed_at
                   FROM contacts WHERE account_id = $1
                   ORDER BY departed, influential DESC NULLS LAST, contact_id""",
    "goals": """SELECT goal_id, name, coalesce(computed_status, status) AS status, computed_status IS NOT NULL
                       AS computed, metric, baseline, target_value, current_value, progress_pct, due_date, changed_at
                FROM goals WHERE account_id = $1 ORDER BY due_date NULLS LAST, goal_id""",
    "problems": "SELECT problem_id, description, severity FROM problems WHERE account_id = $1 ORDER BY severity DESC",
    "milestones": """SELECT milestone_key, name, state, is_key, on_date FROM milestones WHERE account_id = $1
                     ORDER BY is_key DESC, milestone_key""",
    "tickets": """SELECT ticket_id, status, severity, bug_linked, subject_line, changed_at FROM tickets
                  WHERE account_id = $1 ORDER BY changed_at DESC LIMIT 100""",
    "requests": """SELECT request_id, title, kind, status, blocking, contact_id, changed_at FROM requests
                   WHERE account_id = $1 ORDER BY changed_at DESC LIMIT 100""",
    "nps": """SELECT contact_id, score, comment, answered_at FROM nps WHERE account_id = $1
              ORDER BY answered_at DESC LIMIT 50""",
    "contracts": """SELECT contract_id, start_date, end_date, arr, products FROM contracts WHERE account_id = $1
                    ORDER BY end_date DESC""",
    "renewals": """SELECT opportunity_id, kind, renewal_date, arr, owner_id, at_risk, risk_level, risk_points,
                          risk_reasons, outcome FROM renewals WHERE account_id = $1 ORDER BY renewal_date NULLS LAST""",
    "touches": """SELECT touch_id, kind, outcome, held_on, by_person, hours, notes FROM touches
                  WHERE account_id = $1 ORDER BY held_on DESC, touch_id LIMIT 200""",
    "alerts": """SELECT alert_id, rule_id, severity, title, text, recipients, raised_at FROM alerts
                 WHERE account_id = $1 ORDER BY raised_at DESC LIMIT 20""",
    # peers: the accounts of the same industry and segment, with what the benchmarks compare (none
    # without an industry: no group to compare with)
    "peers": """SELECT p.account_id, p.adoption, p.health_value AS health,
                       (SELECT min(m.ttv_days) FROM milestones m
                        WHERE m.account_id = p.account_id AND m.state = 'achieved')::float8 AS time_to_value
                FROM accounts a JOIN accounts p ON p.industry = a.industry AND p.segment IS NOT DISTINCT FROM a.segment
                WHERE a.account_id = $1 LIMIT 20000""",
    "tasks": """SELECT task_id, playbook_id, title, owner_id, priority, due_at, status, why, steps, outcome, reason,
                       changed_at FROM tasks WHERE account_id = $1
                ORDER BY status IN ('done', 'dismissed'), due_at LIMIT 50""",
}


async def account(conn: asyncpg.Connection, *, account_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM accounts WHERE account_id = $1", account_id)
    if row is None:
        return None
    parts: dict[str, Any] = {"account": dict(row)}
    for name, sql in _PARTS.items():
        parts[name] = [dict(r) for r in await conn.fetch(sql, account_id)]
    return parts


async def scores(conn: asyncpg.Connection, *, account_id: str, since: datetime) -> list[tuple[datetime, float]]:
    rows = await conn.fetch(
        """(SELECT at, value FROM health_scores WHERE account_id = $1 AND at < $2 ORDER BY at DESC LIMIT 1)
           UNION ALL (SELECT at, value FROM health_scores WHERE account_id = $1 AND at >= $2) ORDER BY at""",
        account_id,
        since,
    )
    return [(r["at"], r["value"]) for r in rows]


async def timeline(
    conn: asyncpg.Connection, *, account_id: str, kinds: list[str] | None, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """Newest first; ``before_id`` pages (keyset on (time, id), stable while new events arrive: an event
    that happened earlier but arrived later still lands on its own page)."""
    rows = await conn.fetch(
        """SELECT id, occurred_at, kind, event_type, title, detail FROM timeline
           WHERE account_id = $1 AND ($2::text[] IS NULL OR kind = ANY($2))
             AND ($3::bigint IS NULL OR (occurred_at, id) < (SELECT occurred_at, id FROM timeline WHERE id = $3))
           ORDER BY occurred_at DESC, id DESC LIMIT $4""",
        account_id,
        kinds,
        before_id,
        limit,
    )
    return [dict(r) for r in rows]


@dataclass(frozen=True)
class Portfolio:
    owner: str | None = None
    colour: str | None = None
    tier: str | None = None
    at_risk: bool | None = None
    renewing_before: date | None = None


async def portfolio(conn: asyncpg.Connection, *, where: Portfolio, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT a.account_id, a.name, a.tier, a.arr, a.csm, a.ae, a.health_value, a.health_colour,
                  a.healthy_champions, a.champion_target, r.renewal_date, r.at_risk, r.risk_level
           FROM accounts a
           LEFT JOIN LATERAL (SELECT renewal_date, at_risk, risk_level FROM renewals x
                              WHERE x.account_id = a.account_id AND x.kind = 'renewal' AND x.outcome IS NULL
                              ORDER BY renewal_date LIMIT 1) r ON true
           WHERE ($1::text IS NULL OR $1 IN (a.csm, a.ae, a.renewal_owner))
             AND ($2::text IS NULL OR a.health_colour = $2) AND ($3::text IS NULL OR a.tier = $3)
             AND ($4::bool IS NULL OR coalesce(r.at_risk, false) = $4)
             AND ($5::date IS NULL OR r.renewal_date < $5)
           ORDER BY r.renewal_date NULLS LAST, a.account_id LIMIT $6 OFFSET $7""",
        where.owner,
        where.colour,
        where.tier,
        where.at_risk,
        where.renewing_before,
        limit,
        offset,
    )
    return [dict(r) for r in rows]
