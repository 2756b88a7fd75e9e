"""Scorecard versions: a change (an admin's edit, or an applied calibration) is a new version, and its
accounts are re-scored in the background by a job queued in the same transaction. Retiring a
scorecard, and any change to the milestone definitions, re-scores the accounts it touches too."""

from __future__ import annotations

import asyncpg

from bellwether_shared.envelope import utcnow
from health import config_repository as config, queue_repository, schemas


async def save_version(
    conn: asyncpg.Connection, *, card_id: str, version: int, body: schemas.ScorecardIn
) -> tuple[asyncpg.Record, int]:
    """The new version, and the re-score job over its accounts."""
    row = await config.insert_scorecard(
        conn,
        card_id=card_id,
        version=version,
        name=body.name,
        definition=body.definition(),
        segments=body.segments,
        tiers=body.tiers,
        is_default=body.is_default,
        lifecycle_stages=body.lifecycle_stages,
    )
    job = await config.new_rescore_job(conn, card_id=card_id, version=version)
    total = await queue_repository.enqueue_matching(
        conn,
        every=body.is_default,
        tiers=body.tiers,
        segments=body.segments,
        lifecycle_stages=body.lifecycle_stages,
        due_at=utcnow(),
        job_id=job,
    )
    await config.set_rescore_total(conn, job_id=job, total=total)
    return row, job


async def retire(conn: asyncpg.Connection, *, card_id: str) -> None:
    """The scorecard is retired; the accounts it scored are re-scored under the one that fits them now."""
    async with conn.transaction():
        await config.retire_scorecard(conn, card_id=card_id)
        await queue_repository.enqueue_scored_by(conn, card_id=card_id, due_at=utcnow())


async def define_milestone(conn: asyncpg.Connection, *, milestone: schemas.MilestoneIn, new: bool) -> bool:
    """A new milestone (``new``: False when it exists) or a changed one (False when it does not);
    every account is re-scored against it."""
    definition = milestone.model_dump(mode="json")
    async with conn.transaction():
        if new:
            done = await config.insert_milestone(conn, key=milestone.key, definition=definition)
        else:
            done = await config.update_milestone(conn, key=milestone.key, definition=definition)
        if done:
            await queue_repository.enqueue_matching(conn, every=True, due_at=utcnow())
    return done


async def retire_milestone(conn: asyncpg.Connection, *, key: str) -> bool:
    return await config.retire_milestone(conn, key=key)


def as_input(row: asyncpg.Record, **changes: object) -> schemas.ScorecardIn:
    """A stored version as the API's input model (to save a changed copy of it)."""
    d = dict(row["definition"])
    return schemas.ScorecardIn.model_validate(
        {
            **d,
            "name": row["name"],
            "segments": row["segments"],
            "tiers": row["tiers"],
            "lifecycle_stages": row["lifecycle_stages"],
            "is_default": row["is_default"],
            **changes,
        }
    )
