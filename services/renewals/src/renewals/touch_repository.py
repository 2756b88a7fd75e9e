"""Promised touches: those recorded (held or missed), what each CSM-owned account's engagement and last
touches are, and the overdue ones already announced. Keyword-only async functions on a connection."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

from bellwether_shared.events import ingest as iev
from bellwether_shared.projection import Latest, upsert

TOUCHES = Latest("touches", key=("account_id", "touch_id"), at="recorded_at")


async def upsert_touch(conn: asyncpg.Connection, *, e: iev.TouchRecorded, at: datetime) -> None:
    row = {"account_id": e.account_id, "touch_id": e.touch_id, "kind": e.kind, "outcome": e.outcome}
    await upsert(conn, TOUCHES, row | {"held_on": e.held_on, "recorded_at": at})


async def promised(conn: asyncpg.Connection, *, after: str | None, limit: int) -> list[asyncpg.Record]:
    """Accounts with a CSM, in pages by account id: what decides their engagement model, the first
    contract's start (since when touches are promised) and the last touch held of each kind."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT a.account_id, a.csm, a.tier, a.growth_potential, a.engagement_preference, a.engagement_model,
                  a.arr::float8 AS arr,
                  (SELECT min(c.start_date) FROM contracts c WHERE c.account_id = a.account_id) AS since,
                  coalesce((SELECT jsonb_object_agg(kind, last) FROM (
                      SELECT kind, max(held_on) AS last FROM touches t
                      WHERE t.account_id = a.account_id AND t.outcome = 'done' GROUP BY kind) d), '{}') AS done
           FROM accounts a
           WHERE a.csm IS NOT NULL AND ($1::text IS NULL OR a.account_id > $1)
           ORDER BY a.account_id LIMIT $2""",
        after,
        limit,
    )
    return rows


async def tracking_since(conn: asyncpg.Connection) -> dict[str, date]:
    """The first touch of each kind recorded for any account: before it, the company did not record
    that kind here, so nothing says whether one was held (a kind left out: none recorded yet)."""
    rows = await conn.fetch("SELECT kind, min(held_on) AS first FROM touches GROUP BY kind")
    return {r["kind"]: r["first"] for r in rows}


async def tell_once(conn: asyncpg.Connection, *, account_id: str, kind: str, due_on: date) -> bool:
    """True the first time this overdue touch (account, kind, due day) is announced."""
    status: str = await conn.execute(
        "INSERT INTO touch_overdue_told (account_id, kind, due_on) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        account_id,
        kind,
        due_on,
    )
    return status.endswith(" 1")
