"""The account view's projection: keyword-only async functions on a connection, one per kind of fact,
each latest-wins by the time the event carries (so redelivery and cross-topic order do not matter)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from bellwether_shared.dates import as_date


async def upsert_account(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    owners = p.get("owners") or {}
    await conn.execute(
        """INSERT INTO accounts (account_id, name, tier, segment, industry, exposure, arr, seats, lifecycle_stage,
                                 renewal_date, csm, ae, renewal_owner, upserted_at, onboarding_started_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
           ON CONFLICT (account_id) DO UPDATE SET
             name = coalesce(excluded.name, accounts.name), tier = coalesce(excluded.tier, accounts.tier),
             segment = coalesce(excluded.segment, accounts.segment),
             industry = coalesce(excluded.industry, accounts.industry),
             exposure = coalesce(excluded.exposure, accounts.exposure), arr = coalesce(excluded.arr, accounts.arr),
             seats = coalesce(excluded.seats, accounts.seats),
             lifecycle_stage = coalesce(excluded.lifecycle_stage, accounts.lifecycle_stage),
             renewal_date = coalesce(excluded.renewal_date, accounts.renewal_date),
             csm = coalesce(excluded.csm, accounts.csm), ae = coalesce(excluded.ae, accounts.ae),
             renewal_owner = coalesce(excluded.renewal_owner, accounts.renewal_owner),
             onboarding_started_at = coalesce(excluded.onboarding_started_at, accounts.onboarding_started_at),
             upserted_at = excluded.upserted_at
           WHERE accounts.upserted_at IS NULL OR excluded.upserted_at >= accounts.upserted_at""",
        p["account_id"],
        p.get("name"),
        p.get("tier"),
        p.get("segment"),
        p.get("industry"),
        p.get("exposure"),
        p.get("arr"),
        p.get("seats"),
        p.get("lifecycle_stage"),
        as_date(p.get("renewal_date")),
        owners.get("csm"),
        owners.get("ae"),
        owners.get("renewal_owner"),
        at,
        as_date(p.get("onboarding_started_at")),
    )


async def ensure_accounts(conn: asyncpg.Connection, *, account_ids: Sequence[str]) -> None:
    await conn.execute(
        "INSERT INTO accounts (account_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", sorted(set(account_ids))
    )


async def set_owner(conn: asyncpg.Connection, *, account_id: str, role: str, owner_id: str | None) -> None:
    assert role in ("csm", "ae", "renewal_owner")
    await conn.execute(f"UPDATE accounts SET {role} = $2 WHERE account_id = $1", account_id, owner_id)


async def set_health(
    conn: asyncpg.Connection, *, account_id: str, value: float, colour: str, reasons: list[Any], at: datetime
) -> None:
    await conn.execute(
        """UPDATE accounts SET health_value = $2, health_colour = $3, health_reasons = $4::jsonb, health_at = $5
           WHERE account_id = $1 AND (health_at IS NULL OR health_at <= $5)""",
        account_id,
        value,
        colour,
        reasons,
        at,
    )
    await conn.execute(
        "INSERT INTO health_scores VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", account_id, at, value, colour
    )


async def set_coverage(conn: asyncpg.Connection, *, account_id: str, healthy: int, target: int) -> None:
    await conn.execute(
        "UPDATE accounts SET healthy_champions = $2, champion_target = $3 WHERE account_id = $1",
        account_id,
        healthy,
        target,
    )


async def upsert_contact(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    await conn.execute(
        """INSERT INTO contacts (account_id, contact_id, name, title, role, is_champion, departed, changed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (account_id, contact_id) DO UPDATE SET name = coalesce(excluded.name, contacts.name),
             title = coalesce(excluded.title, contacts.title), role = coalesce(excluded.role, contacts.role),
             is_champion = excluded.is_champion, departed = excluded.departed, changed_at = excluded.changed_at
           WHERE contacts.changed_at IS NULL OR excluded.changed_at >= contacts.changed_at""",
        p["account_id"],
        p["contact_id"],
        p.get("name"),
        p.get("title"),
        p.get("role"),
        bool(p.get("is_champion")),
        bool(p.get("departed")),
        at,
    )


async def assess_contact(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    await conn.execute(
        """INSERT INTO contacts (account_id, contact_id, label, engagement, delight, influence, quadrant, healthy,
                                 influential, why, assessed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)
           ON CONFLICT (account_id, contact_id) DO UPDATE SET label = excluded.label,
             engagement = excluded.engagement, delight = excluded.delight, influence = excluded.influence,
             quadrant = excluded.quadrant, healthy = excluded.healthy, influential = excluded.influential,
             why = excluded.why, assessed_at = excluded.assessed_at
           WHERE contacts.assessed_at IS NULL OR excluded.assessed_at >= contacts.assessed_at""",
        p["account_id"],
        p["contact_id"],
        p.get("label"),
        p.get("engagement"),
        p.get("delight"),
        p.get("influence"),
        p.get("quadrant"),
        p.get("healthy"),
        p.get("influential"),
        p.get("why") or [],
        at,
    )


async def set_goal_progress(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    """Health's computed status and progress (they win over the stated status in the view)."""
    await conn.execute(
        """INSERT INTO goals (account_id, goal_id, name, status, computed_status, progress_pct, current_value,
                              target_value, due_date, changed_at)
           VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (account_id, goal_id) DO UPDATE SET computed_status = excluded.computed_status,
             progress_pct = excluded.progress_pct, current_value = excluded.current_value,
             target_value = coalesce(excluded.target_value, goals.target_value),
             due_date = coalesce(excluded.due_date, goals.due_date)""",
        p["account_id"],
        p["goal_id"],
        p["name"],
        p["status"],
        p.get("progress_pct"),
        p.get("current_value"),
        p.get("target_value"),
        as_date(p.get("due_date")),
        at,
    )


async def upsert_goal(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
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
        p["account_id"],
        p["goal_id"],
        p["name"],
        p.get("status"),
        p.get("metric"),
        p.get("baseline"),
        p.get("target_value"),
        p.get("current_value"),
        p.get("progress_pct"),
        as_date(p.get("due_date")),
        at,
    )


async def upsert_problem(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    await conn.execute(
        """INSERT INTO problems VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, problem_id) DO UPDATE
           SET description = excluded.description, severity = excluded.severity, recorded_at = excluded.recorded_at
           WHERE excluded.recorded_at >= problems.recorded_at""",
        p["account_id"],
        p["problem_id"],
        p["description"],
        p["severity"],
        at,
    )


async def upsert_ticket(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    await conn.execute(
        """INSERT INTO tickets VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, ticket_id) DO UPDATE
           SET status = excluded.status, severity = excluded.severity, bug_linked = excluded.bug_linked,
               subject_line = coalesce(excluded.subject_line, tickets.subject_line), changed_at = excluded.changed_at
           WHERE excluded.changed_at >= tickets.changed_at""",
        p["account_id"],
        p["ticket_id"],
        p["status"],
        p["severity"],
        bool(p.get("bug_linked")),
        p.get("subject_line"),
        at,
    )


async def add_nps(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime, event_id: str) -> None:
    """Every answer stays, with its comment (the account view shows them newest first)."""
    await conn.execute(
        "INSERT INTO nps VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        p["account_id"],
        event_id,
        p["contact_id"],
        p["score"],
        p.get("comment"),
        at,
    )


async def upsert_request(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    await conn.execute(
        """INSERT INTO requests VALUES ($1, $2, $3, coalesce($4::text, 'feature'), $5, coalesce($6::bool, false),
                                        $7, $8)
           ON CONFLICT (account_id, request_id) DO UPDATE SET title = excluded.title, status = excluded.status,
             kind = coalesce($4::text, requests.kind), blocking = coalesce($6::bool, requests.blocking),
             contact_id = coalesce(excluded.contact_id, requests.contact_id), changed_at = excluded.changed_at
           WHERE excluded.changed_at >= requests.changed_at""",
        p["account_id"],
        p["request_id"],
        p["title"],
        p.get("kind"),
        p["status"],
        p.get("blocking"),
        p.get("contact_id"),
        at,
    )


async def set_milestone(conn: asyncpg.Connection, *, p: dict[str, Any], state: str) -> None:
    on = as_date(p.get("achieved_on") if state == "achieved" else p.get("deadline"))
    await conn.execute(
        """INSERT INTO milestones VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, milestone_key) DO UPDATE
           SET name = excluded.name, state = excluded.state, is_key = excluded.is_key, on_date = excluded.on_date,
               ttv_days = excluded.ttv_days""",
        p["account_id"],
        p["milestone_key"],
        p["name"],
        state,
        bool(p.get("is_key")),
        on,
        p.get("time_to_value_days"),
    )


async def add_onboarding(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    await conn.execute(
        "INSERT INTO onboarding VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", p["account_id"], p["aspect"], at
    )


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
