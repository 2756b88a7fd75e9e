"""What champion, goal, problem and request assessments read and write, for many accounts at once
(keyword-only async functions on a connection; batches are single statements)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg

from health.domain.commands import ContactAssessment, ValueStanding


async def fact_rows(conn: asyncpg.Connection, *, account_ids: list[str], today: date) -> dict[str, list[Any]]:
    """Contacts with their linked product use (last 30 days), answers, tickets and requests; goals with
    the usage their linked event counts; problems; and the last assessment of each (to compare)."""
    q = {
        "contacts": """
            SELECT c.*, (c.user_id IS NOT NULL OR EXISTS (
                          SELECT 1 FROM user_emails u WHERE lower(u.email) = lower(c.email))) AS linked,
                   (SELECT count(DISTINCT d.day) FROM user_days d
                    WHERE d.account_id = c.account_id AND d.day > $2::date - 30
                      AND (d.user_id = c.user_id OR d.user_id IN (
                           SELECT u.user_id FROM user_emails u WHERE lower(u.email) = lower(c.email)))) AS active_days
            FROM contacts c WHERE c.account_id = ANY($1::text[])""",
        "answers": """SELECT account_id, contact_id, score, answered_at, comment, comment_polarity
                      FROM nps_responses WHERE account_id = ANY($1::text[])""",
        "contact_tickets": """SELECT account_id, requester_contact_id, severity, opened_at, closed_at FROM tickets
                              WHERE account_id = ANY($1::text[]) AND requester_contact_id IS NOT NULL
                                AND opened_at > ($2::date - 90)::timestamptz""",
        "requests": """SELECT l.account_id, l.contact_id, r.request_id, r.title, r.kind, r.status, r.blocking,
                              r.first_seen_at
                       FROM request_links l JOIN requests r USING (request_id)
                       WHERE l.account_id = ANY($1::text[])""",
        "goal_rows": """
            SELECT g.*, CASE WHEN g.linked_event IS NULL THEN NULL ELSE (
                     SELECT coalesce(sum(u.events), 0)::float8 FROM usage_daily u
                     WHERE u.account_id = g.account_id AND u.event = g.linked_event
                       AND u.day > $2::date - coalesce(g.linked_window_days, 30)) END AS linked_value
            FROM goals g WHERE g.account_id = ANY($1::text[])""",
        "problems": "SELECT account_id, description, severity FROM problems WHERE account_id = ANY($1::text[])",
        "assessed": "SELECT * FROM contact_health WHERE account_id = ANY($1::text[])",
        "coverage": "SELECT * FROM champion_coverage WHERE account_id = ANY($1::text[])",
        "expansion": "SELECT * FROM expansion_state WHERE account_id = ANY($1::text[])",
        "onboarding_overdue": "SELECT * FROM onboarding_overdue WHERE account_id = ANY($1::text[])",
        "value": "SELECT account_id, rung, reason FROM value_standing WHERE account_id = ANY($1::text[])",
    }
    out: dict[str, list[Any]] = {}
    for name, sql in q.items():
        args = (account_ids, today) if "$2" in sql else (account_ids,)
        out[name] = await conn.fetch(sql, *args)
    return out


async def save_assessments(conn: asyncpg.Connection, *, rows: Sequence[ContactAssessment]) -> None:
    if not rows:
        return
    await conn.executemany(
        """INSERT INTO contact_health (account_id, contact_id, engagement, delight, influence, quadrant, healthy,
                                       influential, reasons, assessed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
           ON CONFLICT (account_id, contact_id) DO UPDATE SET engagement = excluded.engagement,
             delight = excluded.delight, influence = excluded.influence, quadrant = excluded.quadrant,
             healthy = excluded.healthy, influential = excluded.influential, reasons = excluded.reasons,
             assessed_at = excluded.assessed_at""",
        [
            (
                r.account_id,
                r.contact_id,
                r.engagement,
                r.delight,
                r.influence,
                r.quadrant,
                r.healthy,
                r.influential,
                r.why,
                r.assessed_at,
            )
            for r in rows
        ],
    )


async def save_coverage(conn: asyncpg.Connection, *, rows: Sequence[tuple[str, int, int, Any]]) -> None:
    if rows:
        await conn.executemany(
            """INSERT INTO champion_coverage VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE
               SET healthy_influential = excluded.healthy_influential, target = excluded.target,
                   assessed_at = excluded.assessed_at""",
            rows,
        )


async def save_goal_progress(
    conn: asyncpg.Connection, *, rows: Sequence[tuple[str, str, str, float | None, float | None]]
) -> None:
    """(account, goal, status, progress %, current value) of goals whose computed state changed."""
    if rows:
        await conn.executemany(
            """UPDATE goals SET computed_status = $3, progress_pct = $4, computed_value = $5
               WHERE account_id = $1 AND goal_id = $2""",
            rows,
        )


async def save_expansion(conn: asyncpg.Connection, *, rows: Sequence[tuple[Any, ...]]) -> None:
    """(account, ready, growth type, reasons, missing, at) of accounts whose readiness changed."""
    if rows:
        await conn.executemany(
            """INSERT INTO expansion_state VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id) DO UPDATE
               SET ready = excluded.ready, growth_type = excluded.growth_type, reasons = excluded.reasons,
                   missing = excluded.missing, changed_at = excluded.changed_at""",
            rows,
        )


async def save_onboarding_overdue(conn: asyncpg.Connection, *, rows: Sequence[tuple[Any, ...]]) -> None:
    if rows:
        await conn.executemany("INSERT INTO onboarding_overdue VALUES ($1, $2) ON CONFLICT DO NOTHING", rows)


async def save_value_standings(conn: asyncpg.Connection, *, rows: Sequence[ValueStanding]) -> None:
    """Each account's rung on the value ladder and why, where either changed."""
    if rows:
        await conn.executemany(
            """INSERT INTO value_standing VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO UPDATE
               SET rung = excluded.rung, step = excluded.step, reason = excluded.reason,
                   changed_at = excluded.changed_at""",
            [(r.account_id, r.rung, r.step, r.reason, r.changed_at) for r in rows],
        )
