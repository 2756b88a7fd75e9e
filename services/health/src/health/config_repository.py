"""Health's configuration tables: scorecards (versioned), milestone definitions, re-score jobs.
Keyword-only, parameterised; the routes in config_api decide what to call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from bellwether_shared.documents import Document


async def latest_scorecard(conn: asyncpg.Connection, *, card_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM scorecards WHERE id = $1 AND active ORDER BY version DESC LIMIT 1", card_id
    )


async def scorecard_version(conn: asyncpg.Connection, *, card_id: str, version: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM scorecards WHERE id = $1 AND version = $2", card_id, version)


async def insert_scorecard(
    conn: asyncpg.Connection,
    *,
    card_id: str,
    version: int,
    name: str,
    definition: Document,
    segments: list[str],
    tiers: list[str],
    is_default: bool,
    lifecycle_stages: Sequence[str] = (),
) -> asyncpg.Record:
    """A new version; a new default takes the flag from every other card."""
    if is_default:
        await conn.execute("UPDATE scorecards SET is_default = false WHERE id <> $1", card_id)
    row: asyncpg.Record = await conn.fetchrow(
        """INSERT INTO scorecards (id, version, name, definition, segments, tiers, is_default, lifecycle_stages)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *""",
        card_id,
        version,
        name,
        definition,
        segments,
        tiers,
        is_default,
        list(lifecycle_stages),
    )
    return row


async def retire_scorecard(conn: asyncpg.Connection, *, card_id: str) -> None:
    await conn.execute("UPDATE scorecards SET active = false WHERE id = $1", card_id)


async def new_rescore_job(conn: asyncpg.Connection, *, card_id: str, version: int) -> int:
    """A job whose accounts are queued next, in the same transaction (``set_rescore_total`` then)."""
    job: int = await conn.fetchval(
        "INSERT INTO rescore_jobs (scorecard_id, scorecard_version, total) VALUES ($1, $2, 0) RETURNING id",
        card_id,
        version,
    )
    return job


async def set_rescore_total(conn: asyncpg.Connection, *, job_id: int, total: int) -> None:
    """How many accounts the job queued; a job with none is done at once."""
    await conn.execute(
        "UPDATE rescore_jobs SET total = $2, finished_at = CASE WHEN $2 = 0 THEN now() END WHERE id = $1",
        job_id,
        total,
    )


async def rescore_job(conn: asyncpg.Connection, *, job_id: int) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM rescore_jobs WHERE id = $1", job_id)
    return dict(row) if row is not None else None


async def insert_milestone(conn: asyncpg.Connection, *, key: str, definition: Document) -> bool:
    """False when the key exists already."""
    try:
        async with conn.transaction():
            await conn.execute("INSERT INTO milestone_defs (key, definition) VALUES ($1, $2)", key, definition)
    except asyncpg.UniqueViolationError:
        return False
    return True


async def update_milestone(conn: asyncpg.Connection, *, key: str, definition: Document) -> bool:
    """False when there is no such milestone."""
    status: str = await conn.execute(
        "UPDATE milestone_defs SET definition = $2, active = true, updated_at = now() WHERE key = $1", key, definition
    )
    return not status.endswith(" 0")


async def retire_milestone(conn: asyncpg.Connection, *, key: str) -> bool:
    status: str = await conn.execute("UPDATE milestone_defs SET active = false WHERE key = $1", key)
    return not status.endswith(" 0")
