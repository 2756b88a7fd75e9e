"""What the customer set out to achieve and asked for: goals, problems, value reviews, feature requests and
onboarding confirmations, each latest-wins by the time it happened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from bellwether_shared.dates import as_date


async def upsert_onboarding(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    await conn.execute(
        """INSERT INTO onboarding VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, aspect) DO UPDATE
           SET confirmed_by = excluded.confirmed_by, confirmed_at = excluded.confirmed_at
           WHERE excluded.confirmed_at >= onboarding.confirmed_at""",
        p["account_id"],
        p["aspect"],
        p["confirmed_by"],
        at,
    )


async def upsert_goal(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    await conn.execute(
        """INSERT INTO goals (account_id, goal_id, name, status, problem_severity, target, changed_at, metric,
                              baseline, target_value, current_value, due_date, linked_event, linked_window_days)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           ON CONFLICT (account_id, goal_id) DO UPDATE
           SET name = excluded.name, status = excluded.status, problem_severity = excluded.problem_severity,
               target = excluded.target, changed_at = excluded.changed_at, metric = excluded.metric,
               baseline = excluded.baseline, target_value = excluded.target_value,
               current_value = excluded.current_value, due_date = excluded.due_date,
               linked_event = excluded.linked_event, linked_window_days = excluded.linked_window_days
           WHERE excluded.changed_at >= goals.changed_at""",
        p["account_id"],
        p["goal_id"],
        p["name"],
        p["status"],
        p.get("problem_severity"),
        p.get("target"),
        at,
        p.get("metric"),
        p.get("baseline"),
        p.get("target_value"),
        p.get("current_value"),
        as_date(p.get("due_date")),
        p.get("linked_event"),
        p.get("linked_window_days"),
    )


async def upsert_problem(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    await conn.execute(
        """INSERT INTO problems VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, problem_id) DO UPDATE
           SET description = excluded.description, severity = excluded.severity,
               recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at
           WHERE excluded.recorded_at >= problems.recorded_at""",
        p["account_id"],
        p["problem_id"],
        p["description"],
        p["severity"],
        p.get("recorded_by"),
        at,
    )


async def upsert_value_review(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    await conn.execute(
        """INSERT INTO value_reviews VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, review_id)
           DO UPDATE SET reviewed_on = excluded.reviewed_on, outcome = excluded.outcome, notes = excluded.notes,
               goal_ids = excluded.goal_ids, recorded_at = excluded.recorded_at
           WHERE excluded.recorded_at >= value_reviews.recorded_at""",
        p["account_id"],
        p["review_id"],
        as_date(p["reviewed_on"]),
        p["outcome"],
        p.get("notes"),
        list(p.get("goal_ids") or []),
        at,
    )


async def upsert_request(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    """The request's latest status wins; every account (and contact) that asked stays linked."""
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
           )
           INSERT INTO request_links VALUES ($1, $7, coalesce($8::text, ''), $6::timestamptz)
           ON CONFLICT DO NOTHING""",
        p["request_id"],
        p["title"],
        p.get("kind"),
        p["status"],
        p.get("blocking"),
        at,
        p["account_id"],
        p.get("contact_id"),
    )
