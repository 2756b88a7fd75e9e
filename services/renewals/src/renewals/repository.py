"""Renewals' persistence for accounts, projections, settings and the audit trail: keyword-only
async functions taking a connection. SQL is parameterised."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any

import asyncpg
import orjson

from bellwether_shared.documents import Document
from bellwether_shared.events import health as hev, ingest as iev
from bellwether_shared.projection import Latest, upsert
from bellwether_shared.uow import AuditEntry, UnitOfWork, within

ROLES = ("csm", "ae", "renewal_owner")
SOURCE = "bellwether/renewals"


def unit(conn: asyncpg.Connection, *, now: datetime | None = None) -> AbstractAsyncContextManager[UnitOfWork]:
    """Renewals' unit of work on an open transaction: its events, its audit trail."""
    return within(conn, source=SOURCE, audit_writer=write_audit, now=now)


async def write_audit(conn: asyncpg.Connection, entries: Sequence[AuditEntry]) -> None:
    await conn.executemany(
        "INSERT INTO audit_log (entity_type, entity_id, action, actor, details) VALUES ($1, $2, $3, $4, $5)",
        [(e.entity_type, e.entity_id, e.action, e.actor, e.details) for e in entries],
    )


async def get_setting(conn: asyncpg.Connection, *, key: str) -> dict[str, Any]:
    """The setting's value; {} when none is stored."""
    value: dict[str, Any] | None = await conn.fetchval("SELECT value FROM settings WHERE key = $1", key)
    return value or {}


async def put_setting(conn: asyncpg.Connection, *, key: str, value: Document, actor: str) -> None:
    await conn.execute(
        """INSERT INTO settings (key, value, updated_by) VALUES ($1, $2, $3)
           ON CONFLICT (key) DO UPDATE
           SET value = excluded.value, updated_at = now(), updated_by = excluded.updated_by""",
        key,
        value,
        actor,
    )


async def audit_trail(
    conn: asyncpg.Connection, *, entity_type: str | None, entity_id: str | None, limit: int, before_id: int | None
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT id, entity_type, entity_id, action, actor, at, details FROM audit_log
           WHERE ($1::text IS NULL OR entity_type = $1) AND ($2::text IS NULL OR entity_id = $2)
             AND ($3::bigint IS NULL OR id < $3)
           ORDER BY id DESC LIMIT $4""",
        entity_type,
        entity_id,
        before_id,
        limit,
    )
    return rows


# ----------------------------------------------------------------------------- accounts


async def ensure_account(conn: asyncpg.Connection, *, account_id: str) -> None:
    await conn.execute("INSERT INTO accounts (account_id) VALUES ($1) ON CONFLICT DO NOTHING", account_id)


ACCOUNTS = Latest(
    "accounts",
    key=("account_id",),
    at="upserted_at",
    keep=frozenset({"name", "tier", "segment", "industry", "exposure", "arr", "lifecycle_stage"})
    | {"growth_potential", "engagement_preference", "engagement_model"},
)
CONTACTS = Latest("contacts", key=("account_id", "contact_id"), at="occurred_at", keep=frozenset({"name", "title"}))
TICKETS = Latest("tickets", key=("account_id", "ticket_id"), at="occurred_at")
PROBLEMS = Latest("problems", key=("account_id", "problem_id"), at="recorded_at")
VALUE_REVIEWS = Latest("value_reviews", key=("account_id", "review_id"), at="recorded_at")


async def upsert_account(conn: asyncpg.Connection, *, e: iev.AccountUpserted, at: datetime) -> bool:
    """Latest upsert wins (by when it happened); fields it leaves out keep their value. Owners are
    not set here (see :func:`owners` and the service's ``set_owners``). False: an older upsert."""
    row: dict[str, Any] = {"account_id": e.account_id, "name": e.name, "tier": e.tier, "segment": e.segment}
    row |= {"industry": e.industry, "exposure": e.exposure, "arr": e.arr, "lifecycle_stage": e.lifecycle_stage}
    row |= {"growth_potential": e.growth_potential, "engagement_preference": e.engagement_preference}
    row |= {"engagement_model": e.engagement_model}
    return await upsert(conn, ACCOUNTS, row | {"upserted_at": at})


async def upsert_value_review(conn: asyncpg.Connection, *, e: iev.ValueReviewRecorded, at: datetime) -> None:
    row = {"account_id": e.account_id, "review_id": e.review_id, "reviewed_on": e.reviewed_on, "outcome": e.outcome}
    await upsert(conn, VALUE_REVIEWS, row | {"recorded_at": at})


async def owners(conn: asyncpg.Connection, *, account_id: str) -> dict[str, str | None]:
    row = await conn.fetchrow("SELECT csm, ae, renewal_owner FROM accounts WHERE account_id = $1", account_id)
    return {r: (row[r] if row else None) for r in ROLES}


async def set_owner(conn: asyncpg.Connection, *, account_id: str, role: str, owner_id: str | None) -> None:
    assert role in ROLES
    await conn.execute(f"UPDATE accounts SET {role} = $2 WHERE account_id = $1", account_id, owner_id)


async def lock_account_of(conn: asyncpg.Connection, *, opportunity_id: str) -> None:
    """Lock the opportunity's account row (taken before the opportunity's: one lock order everywhere)."""
    await conn.execute(
        """SELECT 1 FROM accounts WHERE account_id = (SELECT account_id FROM opportunities WHERE opportunity_id = $1)
           FOR UPDATE""",
        opportunity_id,
    )


async def get_account(conn: asyncpg.Connection, *, account_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM accounts WHERE account_id = $1", account_id)


HealthRow = tuple[str, float, str, Any, datetime, str | None, int | None, bool]


async def apply_health_many(conn: asyncpg.Connection, *, rows: list[HealthRow]) -> None:
    """A batch of announced scores (account, value, colour, reasons, computed_at, scorecard, version,
    usage counted): the projection keeps the latest per account, the history keeps them all. Three statements."""
    if not rows:
        return
    latest: dict[str, HealthRow] = {}
    for r in rows:
        if r[0] not in latest or latest[r[0]][4] <= r[4]:
            latest[r[0]] = r
    accounts = sorted(latest)
    await conn.execute("INSERT INTO accounts (account_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", accounts)
    await conn.execute(
        """UPDATE accounts a SET health_score = u.value, health_colour = u.colour, health_reasons = u.reasons::jsonb,
             health_computed_at = u.at, health_usage_data = u.usage
           FROM unnest($1::text[], $2::float8[], $3::text[], $4::text[], $5::timestamptz[], $6::bool[])
             AS u(id, value, colour, reasons, at, usage)
           WHERE a.account_id = u.id AND (a.health_computed_at IS NULL OR a.health_computed_at <= u.at)""",
        accounts,
        [latest[a][1] for a in accounts],
        [latest[a][2] for a in accounts],
        [orjson.dumps(latest[a][3]).decode() for a in accounts],
        [latest[a][4] for a in accounts],
        [latest[a][7] for a in accounts],
    )
    await conn.execute(
        """INSERT INTO health_history (account_id, computed_at, value, colour, scorecard_id, scorecard_version)
           SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::text[], $5::text[], $6::int[])
           ON CONFLICT DO NOTHING""",
        [r[0] for r in rows],
        [r[4] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[5] for r in rows],
        [r[6] for r in rows],
    )


async def upsert_contact(conn: asyncpg.Connection, *, e: iev.ContactChanged, at: datetime) -> None:
    row: dict[str, Any] = {"account_id": e.account_id, "contact_id": e.contact_id, "is_champion": e.is_champion}
    await upsert(conn, CONTACTS, row | {"departed": e.departed, "occurred_at": at, "name": e.name, "title": e.title})


async def upsert_ticket(conn: asyncpg.Connection, *, e: iev.TicketChanged, at: datetime) -> None:
    row = {"account_id": e.account_id, "ticket_id": e.ticket_id, "status": e.status, "severity": e.severity}
    await upsert(conn, TICKETS, row | {"occurred_at": at})


async def add_missed_milestone(conn: asyncpg.Connection, *, e: hev.MilestoneMissed) -> None:
    await conn.execute(
        """INSERT INTO missed_milestones (account_id, milestone_key, deadline, is_key) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING""",
        e.account_id,
        e.milestone_key,
        e.deadline,
        e.is_key,
    )


async def set_champion_coverage(conn: asyncpg.Connection, *, account_id: str, healthy: int, target: int) -> None:
    """Healthy influential champions, as health last announced them (events of one account arrive in order)."""
    await conn.execute(
        """INSERT INTO accounts (account_id, healthy_champions, champion_target) VALUES ($1, $2, $3)
           ON CONFLICT (account_id) DO UPDATE SET healthy_champions = excluded.healthy_champions,
             champion_target = excluded.champion_target""",
        account_id,
        healthy,
        target,
    )


async def upsert_problem(conn: asyncpg.Connection, *, e: iev.ProblemRecorded, at: datetime) -> None:
    row: dict[str, Any] = {"account_id": e.account_id, "problem_id": e.problem_id, "description": e.description}
    await upsert(conn, PROBLEMS, row | {"severity": e.severity, "recorded_at": at})


async def health_colour(conn: asyncpg.Connection, *, account_id: str) -> str | None:
    colour: str | None = await conn.fetchval("SELECT health_colour FROM accounts WHERE account_id = $1", account_id)
    return colour


async def contracted_arr(conn: asyncpg.Connection, *, account_id: str, active_on: date | None = None) -> float:
    """The account's ARR under contract: every contract, or those still running on ``active_on``."""
    total = await conn.fetchval(
        "SELECT coalesce(sum(arr), 0) FROM contracts WHERE account_id = $1 AND ($2::date IS NULL OR end_date >= $2)",
        account_id,
        active_on,
    )
    return float(total)


async def renewal_of(conn: asyncpg.Connection, *, contract_id: str) -> str | None:
    oid: str | None = await conn.fetchval(
        "SELECT opportunity_id FROM opportunities WHERE contract_id = $1 AND kind = 'renewal'", contract_id
    )
    return oid


async def accounts_with_policy_owners(conn: asyncpg.Connection) -> list[str]:
    """Accounts with an open opportunity whose owner the policy decides (nobody chose one by hand)."""
    rows = await conn.fetch(
        "SELECT DISTINCT account_id FROM opportunities WHERE stage <> 'closed' AND NOT owner_manual"
    )
    return [r["account_id"] for r in rows]


async def try_lock(conn: asyncpg.Connection, *, lock_id: int) -> bool:
    """A transaction-scoped advisory lock, or False when another replica holds it."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", lock_id))
