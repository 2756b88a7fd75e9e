"""Health's persistence: keyword-only async functions taking a connection. SQL is parameterised;
batches go through unnest so a consumed batch is a handful of statements, not one per event."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from bellwether_shared import tracing
from bellwether_shared.events import ingest as iev
from bellwether_shared.projection import Latest, upsert
from bellwether_shared.uow import UnitOfWork, within

SOURCE = "bellwether/health"


def unit(conn: asyncpg.Connection, *, now: datetime | None = None) -> AbstractAsyncContextManager[UnitOfWork]:
    """Health's unit of work on an open transaction (it keeps no audit trail)."""
    return within(conn, source=SOURCE, now=now)


# ----------------------------------------------------------------------------- rollups (consumer)


def _first_usage_days(usage: Sequence[tuple[str, date, str, int]]) -> dict[str, date]:
    """Each account's earliest usage day in the batch: its usage is data from then on."""
    first: dict[str, date] = {}
    for account, day, _, _ in usage:
        if account not in first or day < first[account]:
            first[account] = day
    return first


def _columns(rows: Sequence[tuple[Any, ...]], n: int) -> list[list[Any]]:
    """Rows (sorted, so concurrent batches lock in one order) as n column arrays for unnest."""
    return [list(c) for c in zip(*sorted(rows), strict=True)] if rows else [[] for _ in range(n)]


_ROLLUPS = """WITH acc AS (
         INSERT INTO accounts (account_id, first_usage_on) SELECT * FROM unnest($1::text[], $18::date[])
         ON CONFLICT (account_id) DO UPDATE SET first_usage_on = excluded.first_usage_on
         WHERE accounts.first_usage_on IS NULL OR excluded.first_usage_on < accounts.first_usage_on
       ), queued AS (
         INSERT INTO recompute_queue (account_id, due_at, trace)
         SELECT q.a, greatest($2::timestamptz, h.computed_at + $17::interval), q.t
         FROM unnest($1::text[], $16::jsonb[]) AS q(a, t) LEFT JOIN account_health h ON h.account_id = q.a
         ON CONFLICT (account_id) DO UPDATE
           SET dirty = recompute_queue.dirty OR recompute_queue.claimed_until IS NOT NULL,
               trace = CASE WHEN excluded.trace = '{}'::jsonb THEN recompute_queue.trace ELSE excluded.trace END
         WHERE recompute_queue.claimed_until IS NOT NULL OR excluded.trace <> '{}'::jsonb
       ), usage AS (
         INSERT INTO usage_daily (account_id, day, event, events)
         SELECT * FROM unnest($3::text[], $4::date[], $5::text[], $6::bigint[])
         ON CONFLICT (account_id, day, event) DO UPDATE SET events = usage_daily.events + excluded.events
       ), active AS (
         INSERT INTO user_days (account_id, day, user_id, events)
         SELECT * FROM unnest($7::text[], $8::date[], $9::text[], $10::int[])
         ON CONFLICT (account_id, day, user_id) DO UPDATE SET events = user_days.events + excluded.events
       )
       INSERT INTO milestone_hits (account_id, milestone_key, day, user_id, hits)
       SELECT * FROM unnest($11::text[], $12::text[], $13::date[], $14::text[], $15::int[])
       ON CONFLICT (account_id, milestone_key, day, user_id)
       DO UPDATE SET hits = milestone_hits.hits + excluded.hits"""


async def apply_rollups(
    conn: asyncpg.Connection,
    *,
    accounts: Iterable[str],
    usage: Sequence[tuple[str, date, str, int]],
    users: Sequence[tuple[str, date, str, int]],
    hits: Sequence[tuple[str, str, date, str, int]],
    now: datetime,
    window: timedelta,
) -> None:
    """A consumed batch's rollups, the accounts it touched and their re-score queue entries, in ONE
    statement (data-modifying CTEs): one round trip instead of five. Rows must be unique per key
    (the handler aggregates them), as ON CONFLICT DO UPDATE may touch a row once per statement.

    Re-scores are throttled per account, leading edge first: an account not scored within ``window``
    is due at once; one scored more recently is due ``window`` after that score. An account already
    queued stays as queued, so a burst is one re-score (two when it straddles one), and the first
    event after a quiet spell is scored without waiting. One claimed by a re-score in flight is
    marked dirty (never waited for: the claim is committed apart) and queued again when it ends.
    A queue entry keeps the trace context of its newest traced cause (``tracing.cause_of``), so the re-score
    continues the call that last moved it (an untraced event leaves a queued entry as it is).
    An account's first usage day is kept (the earliest seen): its usage is data from then on."""

    queued = sorted(set(accounts))
    first = _first_usage_days(usage)
    await conn.execute(
        _ROLLUPS,
        queued,
        now,
        *_columns(usage, 4),
        *_columns(users, 4),
        *_columns(hits, 5),
        [tracing.cause_of(a) for a in queued],
        window,
        [first.get(a) for a in queued],
    )


ACCOUNTS = Latest(
    "accounts",
    key=("account_id",),
    at="upserted_at",
    keep=frozenset(
        {"name", "tier", "segment", "industry", "exposure", "arr", "seats", "renewal_date", "onboarding_started_at"}
        | {"lifecycle_stage", "csm_id", "ae_id"}
    ),
)
TICKETS = Latest(
    "tickets",
    key=("account_id", "ticket_id"),
    at="changed_at",
    keep=frozenset({"requester_contact_id", "subject_line"}),
    earliest=frozenset({"opened_at"}),
)
CONTACTS = Latest(
    "contacts",
    key=("account_id", "contact_id"),
    at="changed_at",
    keep=frozenset(
        {"role", "influence", "engagement", "delight", "name", "title", "email", "user_id", "seniority"}
        | {"can_promote", "owns_relationship_next_12m"}
    ),
)


async def upsert_account(conn: asyncpg.Connection, *, e: iev.AccountUpserted, at: datetime) -> None:
    """Latest upsert wins (by when it happened); fields it leaves out keep their value."""
    owners = e.owners or iev.Owners()
    row: dict[str, Any] = {"account_id": e.account_id, "name": e.name, "tier": e.tier, "segment": e.segment}
    row |= {"industry": e.industry, "exposure": e.exposure, "arr": e.arr, "seats": e.seats}
    row |= {"renewal_date": e.renewal_date, "onboarding_started_at": e.onboarding_started_at}
    row |= {"lifecycle_stage": e.lifecycle_stage, "csm_id": owners.csm, "ae_id": owners.ae}
    await upsert(conn, ACCOUNTS, row | {"upserted_at": at})


async def set_discount(conn: asyncpg.Connection, *, account_id: str, discount_pct: float) -> None:
    await conn.execute(
        """INSERT INTO accounts (account_id, discount_pct) VALUES ($1, $2)
           ON CONFLICT (account_id) DO UPDATE SET discount_pct = excluded.discount_pct""",
        account_id,
        discount_pct,
    )


async def upsert_nps(
    conn: asyncpg.Connection,
    *,
    account_id: str,
    contact_id: str,
    score: int,
    at: datetime,
    comment: str | None = None,
    polarity: float | None = None,
) -> None:
    """The latest answer per contact, with its comment (kept) and the comment's tone."""
    await conn.execute(
        """INSERT INTO nps_responses (account_id, contact_id, score, answered_at, comment, comment_polarity)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, contact_id) DO UPDATE
           SET score = excluded.score, answered_at = excluded.answered_at, comment = excluded.comment,
               comment_polarity = excluded.comment_polarity
           WHERE excluded.answered_at >= nps_responses.answered_at""",
        account_id,
        contact_id,
        score,
        at,
        comment,
        polarity,
    )


async def upsert_ticket(conn: asyncpg.Connection, *, e: iev.TicketChanged, at: datetime) -> None:
    """Latest state wins; the opening time is the first one known (stated, or the first change seen), the
    closing time is when it was closed (resolution time for champion delight)."""
    row: dict[str, Any] = {"account_id": e.account_id, "ticket_id": e.ticket_id, "status": e.status}
    row |= {"severity": e.severity, "bug_linked": e.bug_linked, "changed_at": at}
    row |= {"requester_contact_id": e.requester_contact_id, "opened_at": e.opened_at or at}
    row |= {"closed_at": at if e.status == "closed" else None, "subject_line": e.subject_line}
    await upsert(conn, TICKETS, row | {"contact_reason": e.contact_reason})


async def upsert_contact(conn: asyncpg.Connection, *, e: iev.ContactChanged, at: datetime) -> None:
    row: dict[str, Any] = {"account_id": e.account_id, "contact_id": e.contact_id, "role": e.role}
    row |= {"influence": e.influence, "engagement": e.engagement, "delight": e.delight}
    row |= {"is_champion": e.is_champion, "departed": e.departed, "changed_at": at, "name": e.name}
    row |= {"title": e.title, "email": e.email, "user_id": e.user_id, "seniority": e.seniority}
    row |= {"can_promote": e.can_promote, "owns_relationship_next_12m": e.owns_relationship_next_12m}
    await upsert(conn, CONTACTS, row)


async def upsert_user_email(conn: asyncpg.Connection, *, user_id: str, email: str, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO user_emails VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE
           SET email = excluded.email, changed_at = excluded.changed_at
           WHERE excluded.changed_at >= user_emails.changed_at""",
        user_id,
        email,
        at,
    )


async def accounts_of_user(conn: asyncpg.Connection, *, user_id: str) -> list[str]:
    """Accounts where a contact is this user, by id or e-mail (their champion health may move)."""
    rows = await conn.fetch(
        """SELECT DISTINCT c.account_id FROM contacts c LEFT JOIN user_emails u ON u.user_id = $1
           WHERE c.user_id = $1 OR (u.email IS NOT NULL AND lower(c.email) = lower(u.email))""",
        user_id,
    )
    return [r["account_id"] for r in rows]


# ----------------------------------------------------------------------------- shared reads


async def current_scorecards(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch("SELECT DISTINCT ON (id) * FROM scorecards ORDER BY id, version DESC")
    return rows


async def milestone_defs(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT key, definition FROM milestone_defs WHERE active ORDER BY key"
    )
    return rows
