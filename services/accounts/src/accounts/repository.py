"""The account view's projection: keyword-only async functions on a connection, one per kind of fact,
each latest-wins by the time the event carries (so redelivery and cross-topic order do not matter)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from bellwether_shared.events import health as hev, ingest as iev
from bellwether_shared.projection import Latest, upsert

ACCOUNTS = Latest(
    "accounts",
    key=("account_id",),
    at="upserted_at",
    keep=frozenset(
        {"name", "tier", "segment", "industry", "exposure", "arr", "seats", "lifecycle_stage", "renewal_date"}
        | {"csm", "ae", "renewal_owner", "onboarding_started_at"}
        | {"growth_potential", "engagement_preference", "engagement_model", "executive_sponsor"}
    ),
)
CONTACTS = Latest(
    "contacts", key=("account_id", "contact_id"), at="changed_at", keep=frozenset({"name", "title", "role"})
)
TICKETS = Latest("tickets", key=("account_id", "ticket_id"), at="changed_at", keep=frozenset({"subject_line"}))
PROBLEMS = Latest("problems", key=("account_id", "problem_id"), at="recorded_at")
TOUCHES = Latest("touches", key=("account_id", "touch_id"), at="recorded_at")
REQUESTS = Latest(
    "requests", key=("account_id", "request_id"), at="changed_at", keep=frozenset({"kind", "blocking", "contact_id"})
)


async def upsert_account(conn: asyncpg.Connection, *, e: iev.AccountUpserted, at: datetime) -> None:
    owners = e.owners or iev.Owners()
    row: dict[str, Any] = {"account_id": e.account_id, "name": e.name, "tier": e.tier, "segment": e.segment}
    row |= {"industry": e.industry, "exposure": e.exposure, "arr": e.arr, "seats": e.seats}
    row |= {"lifecycle_stage": e.lifecycle_stage, "renewal_date": e.renewal_date, "csm": owners.csm, "ae": owners.ae}
    row |= {"renewal_owner": owners.renewal_owner, "onboarding_started_at": e.onboarding_started_at}
    row |= {"growth_potential": e.growth_potential, "engagement_preference": e.engagement_preference}
    row |= {"engagement_model": e.engagement_model, "executive_sponsor": owners.executive_sponsor}
    await upsert(conn, ACCOUNTS, row | {"upserted_at": at})


async def ensure_accounts(conn: asyncpg.Connection, *, account_ids: Sequence[str]) -> None:
    await conn.execute(
        "INSERT INTO accounts (account_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", sorted(set(account_ids))
    )


async def set_owner(conn: asyncpg.Connection, *, account_id: str, role: str, owner_id: str | None) -> None:
    assert role in ("csm", "ae", "renewal_owner")
    await conn.execute(f"UPDATE accounts SET {role} = $2 WHERE account_id = $1", account_id, owner_id)


async def set_health(
    conn: asyncpg.Connection,
    *,
    account_id: str,
    value: float,
    colour: str,
    reasons: list[Any],
    at: datetime,
    adoption: float | None = None,
) -> None:
    await conn.execute(
        """UPDATE accounts SET health_value = $2, health_colour = $3, health_reasons = $4::jsonb, health_at = $5,
                              adoption = $6
           WHERE account_id = $1 AND (health_at IS NULL OR health_at <= $5)""",
        account_id,
        value,
        colour,
        reasons,
        at,
        adoption,
    )
    await conn.execute(
        "INSERT INTO health_scores VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", account_id, at, value, colour
    )


async def set_value(conn: asyncpg.Connection, *, e: hev.ValueLadderChanged, at: datetime) -> None:
    """The account's rung on the value ladder; an older standing arriving late changes nothing."""
    await conn.execute(
        """UPDATE accounts SET value_rung = $2, value_step = $3, value_reason = $4, value_at = $5
           WHERE account_id = $1 AND (value_at IS NULL OR value_at <= $5)""",
        e.account_id,
        e.rung,
        e.step,
        e.reason,
        e.assessed_at,
    )


async def set_coverage(conn: asyncpg.Connection, *, account_id: str, healthy: int, target: int) -> None:
    await conn.execute(
        "UPDATE accounts SET healthy_champions = $2, champion_target = $3 WHERE account_id = $1",
        account_id,
        healthy,
        target,
    )


async def upsert_contact(conn: asyncpg.Connection, *, e: iev.ContactChanged, at: datetime) -> None:
    row: dict[str, Any] = {
        "account_id": e.account_id,
        "contact_id": e.contact_id,
        "name": e.name,
        "title": e.title,
        "role": e.role,
    }
    await upsert(conn, CONTACTS, row | {"is_champion": e.is_champion, "departed": e.departed, "changed_at": at})


async def assess_contact(conn: asyncpg.Connection, *, e: hev.ContactAssessed, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO contacts (account_id, contact_id, label, engagement, delight, influence, quadrant, healthy,
                                 influential, why, assessed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)
           ON CONFLICT (account_id, contact_id) DO UPDATE SET label = excluded.label,
             engagement = excluded.engagement, delight = excluded.delight, influence = excluded.influence,
             quadrant = excluded.quadrant, healthy = excluded.healthy, influential = excluded.influential,
             why = excluded.why, assessed_at = excluded.assessed_at
           WHERE contacts.assessed_at IS NULL OR excluded.assessed_at >= contacts.assessed_at""",
        e.account_id,
        e.contact_id,
        e.label,
        e.engagement,
        e.delight,
        e.influence,
        e.quadrant,
        e.healthy,
        e.influential,
        list(e.why),
        at,
    )


async def set_goal_progress(conn: asyncpg.Connection, *, e: hev.GoalProgressChanged, at: datetime) -> None:
    """Health's computed status and progress (they win over the stated status in the view)."""
    await conn.execute(
        """INSERT INTO goals (account_id, goal_id, name, status, computed_status, progress_pct, current_value,
                              target_value, due_date, changed_at)
           VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (account_id, goal_id) DO UPDATE SET computed_status = excluded.computed_status,
             progress_pct = excluded.progress_pct, current_value = excluded.current_value,
             target_value = coalesce(excluded.target_value, goals.target_value),
             due_date = coalesce(excluded.due_date, goals.due_date)""",
        e.account_id,
        e.goal_id,
        e.name,
        e.status,
        e.progress_pct,
        e.current_value,
        e.target_value,
        e.due_date,
        at,
    )


async def upsert_goal(conn: asyncpg.Connection, *, e: iev.GoalUpdated, at: datetime) -> None:
    """A goal as the CRM states it (health's computed status, when there is one, stays)."""
    await conn.execute(
        """INSERT INTO goals (account_id, goal_id, name, status, metric, baseline, target_value, current_value,
                              progress_pct, due_date, changed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (account_id, goal_id) DO UPDATE SET name = excluded.name,
             status = coalesce(excluded.status, goals.status), metric = coalesce(excluded.metric, goals.metric),
             baseline = coalesce(excluded.baseline, goals.baseline),
             target_value = coalesce(excluded.target_value, goals.target_value),
             current_value = coalesce(excluded.current_value, goals.current_value),
             due_date = coalesce(excluded.due_date, goals.due_date), changed_at = excluded.changed_at
           WHERE excluded.changed_at >= goals.changed_at""",
        e.account_id,
        e.goal_id,
        e.name,
        e.status,
        e.metric,
        e.baseline,
        e.target_value,
        e.current_value,
        None,  # a goal as stated has no progress: health computes it (goal_progress_changed)
        e.due_date,
        at,
    )


async def upsert_problem(conn: asyncpg.Connection, *, e: iev.ProblemRecorded, at: datetime) -> None:
    row: dict[str, Any] = {"account_id": e.account_id, "problem_id": e.problem_id, "description": e.description}
    await upsert(conn, PROBLEMS, row | {"severity": e.severity, "recorded_at": at})


async def upsert_touch(conn: asyncpg.Connection, *, e: iev.TouchRecorded, at: datetime) -> None:
    row: dict[str, Any] = {"account_id": e.account_id, "touch_id": e.touch_id, "kind": e.kind, "outcome": e.outcome}
    row |= {"held_on": e.held_on, "by_person": e.by_person, "hours": e.hours, "notes": e.notes}
    await upsert(conn, TOUCHES, row | {"recorded_at": at})


async def upsert_ticket(conn: asyncpg.Connection, *, e: iev.TicketChanged, at: datetime) -> None:
    row: dict[str, Any] = {
        "account_id": e.account_id,
        "ticket_id": e.ticket_id,
        "status": e.status,
        "severity": e.severity,
    }
    row |= {"bug_linked": e.bug_linked, "subject_line": e.subject_line, "changed_at": at}
    await upsert(conn, TICKETS, row | {"opened_at": e.opened_at or at, "contact_reason": e.contact_reason})


async def add_nps(conn: asyncpg.Connection, *, e: iev.NpsSubmitted, at: datetime, event_id: str) -> None:
    """Every answer stays, with its comment (the account view shows them newest first)."""
    await conn.execute(
        "INSERT INTO nps VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        e.account_id,
        event_id,
        e.contact_id,
        e.score,
        e.comment,
        at,
    )


async def upsert_request(conn: asyncpg.Connection, *, e: iev.FeatureRequestStatusChanged, at: datetime) -> None:
    """A request's kind, blocking flag and contact stay as first said when a later change leaves them out
    (a new one is a feature, not blocking)."""
    row: dict[str, Any] = {"account_id": e.account_id, "request_id": e.request_id, "title": e.title, "kind": e.kind}
    row |= {"status": e.status, "blocking": e.blocking, "contact_id": e.contact_id, "changed_at": at}
    await upsert(conn, REQUESTS, row)
    await conn.execute(  # waiting since it was first asked for, whatever order the changes arrive in
        """UPDATE requests SET first_seen_at = LEAST(coalesce(first_seen_at, $3), $3)
           WHERE account_id = $1 AND request_id = $2""",
        e.account_id,
        e.request_id,
        at,
    )


async def set_milestone(
    conn: asyncpg.Connection, *, e: hev.MilestoneAchieved | hev.MilestoneMissed, at: datetime
) -> None:
    state, on = ("achieved", e.achieved_on) if isinstance(e, hev.MilestoneAchieved) else ("missed", e.deadline)
    ttv = e.time_to_value_days if isinstance(e, hev.MilestoneAchieved) else None
    await conn.execute(
        """INSERT INTO milestones VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, milestone_key) DO UPDATE
           SET name = excluded.name, state = excluded.state, is_key = excluded.is_key, on_date = excluded.on_date,
               ttv_days = excluded.ttv_days""",
        e.account_id,
        e.milestone_key,
        e.name,
        state,
        e.is_key,
        on,
        ttv,
    )


async def add_onboarding(conn: asyncpg.Connection, *, e: iev.OnboardingConfirmed, at: datetime) -> None:
    await conn.execute("INSERT INTO onboarding VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", e.account_id, e.aspect, at)


async def add_timeline(
    conn: asyncpg.Connection, *, rows: Sequence[tuple[str, datetime, str, str, str, str, Any]]
) -> None:
    """(account, occurred_at, kind, event type, event id, title, detail): one statement; a redelivered
    event is already there (its id is unique)."""
    if not rows:
        return
    cols = list(zip(*rows, strict=True))
    await conn.execute(
        """INSERT INTO timeline (account_id, occurred_at, kind, event_type, event_id, title, detail)
           SELECT a, t, k, e, i, ti, d::jsonb FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[],
                                                          $5::text[], $6::text[], $7::text[]) AS x(a, t, k, e, i, ti, d)
           ON CONFLICT (event_id) DO NOTHING""",
        list(cols[0]),
        list(cols[1]),
        list(cols[2]),
        list(cols[3]),
        list(cols[4]),
        list(cols[5]),
        [orjson.dumps(d).decode() for d in cols[6]],
    )
