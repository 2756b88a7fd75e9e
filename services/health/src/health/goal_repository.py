"""What the customer set out to achieve and asked for: goals, problems, value reviews, feature requests and
onboarding confirmations, each latest-wins by the time it happened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from bellwether_shared.events import ingest as iev
from bellwether_shared.projection import Latest, upsert

ONBOARDING = Latest("onboarding", key=("account_id", "aspect"), at="confirmed_at")
GOALS = Latest("goals", key=("account_id", "goal_id"), at="changed_at")
PROBLEMS = Latest("problems", key=("account_id", "problem_id"), at="recorded_at")
VALUE_REVIEWS = Latest("value_reviews", key=("account_id", "review_id"), at="recorded_at")


async def upsert_onboarding(conn: asyncpg.Connection, *, e: iev.OnboardingConfirmed, at: datetime) -> None:
    row = {"account_id": e.account_id, "aspect": e.aspect, "confirmed_by": e.confirmed_by, "confirmed_at": at}
    await upsert(conn, ONBOARDING, row)


async def upsert_goal(conn: asyncpg.Connection, *, e: iev.GoalUpdated, at: datetime) -> None:
    row: dict[str, Any] = {"account_id": e.account_id, "goal_id": e.goal_id, "name": e.name, "status": e.status}
    row |= {"problem_severity": e.problem_severity, "target": e.target, "changed_at": at, "metric": e.metric}
    row |= {"baseline": e.baseline, "target_value": e.target_value, "current_value": e.current_value}
    row |= {"due_date": e.due_date, "linked_event": e.linked_event, "linked_window_days": e.linked_window_days}
    await upsert(conn, GOALS, row)


async def upsert_problem(conn: asyncpg.Connection, *, e: iev.ProblemRecorded, at: datetime) -> None:
    row = {"account_id": e.account_id, "problem_id": e.problem_id, "description": e.description}
    await upsert(conn, PROBLEMS, row | {"severity": e.severity, "recorded_by": e.recorded_by, "recorded_at": at})


async def upsert_value_review(conn: asyncpg.Connection, *, e: iev.ValueReviewRecorded, at: datetime) -> None:
    row: dict[str, Any] = {"account_id": e.account_id, "review_id": e.review_id, "reviewed_on": e.reviewed_on}
    row |= {"outcome": e.outcome, "notes": e.notes, "goal_ids": list(e.goal_ids), "recorded_at": at}
    await upsert(conn, VALUE_REVIEWS, row)


async def upsert_request(conn: asyncpg.Connection, *, e: iev.FeatureRequestStatusChanged, at: datetime) -> None:
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
        e.request_id,
        e.title,
        e.kind,
        e.status,
        e.blocking,
        at,
        e.account_id,
        e.contact_id,
    )
