"""Scorecard versions: a change (an admin's edit, or an applied calibration) is a new version, and its
accounts are re-scored in the background by a job queued in the same transaction."""

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
