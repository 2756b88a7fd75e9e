"""Scorecard and milestone-definition CRUD, and re-score jobs. A scorecard change is a new version
and re-scores its accounts in the background; progress is readable at /v1/rescore-jobs/{id}."""

from __future__ import annotations

import re
import secrets
from typing import Any

import asyncpg
from fastapi import APIRouter

from bellwether_shared.envelope import utcnow
from bellwether_shared.http import ApiError
from health import repository, schemas
from health.deps import RuntimeDep

router = APIRouter(prefix="/v1", tags=["configuration"], responses={401: {"description": "missing or wrong token"}})


def _card_out(row: asyncpg.Record, job_id: int | None = None) -> dict[str, Any]:
    return dict(row["definition"]) | {
        "id": row["id"], "version": row["version"], "name": row["name"], "segments": row["segments"],
        "tiers": row["tiers"], "is_default": row["is_default"], "created_at": row["created_at"],
        "rescore_job_id": job_id,
    }  # fmt: skip


async def _latest(conn: asyncpg.Connection, card_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM scorecards WHERE id = $1 AND active ORDER BY version DESC LIMIT 1", card_id
    )


async def _save_version(
    conn: asyncpg.Connection, card_id: str, version: int, body: schemas.ScorecardIn
) -> tuple[asyncpg.Record, int]:
    if body.is_default:
        await conn.execute("UPDATE scorecards SET is_default = false WHERE id <> $1", card_id)
    row = await conn.fetchrow(
        """INSERT INTO scorecards (id, version, name, definition, segments, tiers, is_default)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *""",
        card_id,
        version,
        body.name,
        body.definition(),
        body.segments,
        body.tiers,
        body.is_default,
    )
    # its accounts: those in its tiers or segments; for the default card, every account
    ids = [
        r["account_id"]
        for r in await conn.fetch(
            """SELECT account_id FROM accounts WHERE $1 OR tier = ANY($2::text[]) OR segment = ANY($3::text[])""",
            body.is_default,
            body.tiers,
            body.segments,
        )
    ]
    job = await conn.fetchval(
        """INSERT INTO rescore_jobs (scorecard_id, scorecard_version, total, finished_at)
           VALUES ($1, $2, $3, CASE WHEN $3 = 0 THEN now() END) RETURNING id""",
        card_id,
        version,
        len(ids),
    )
    await repository.enqueue(conn, account_ids=ids, due_at=utcnow(), job_id=job)
    return row, job


@router.post(
    "/scorecards",
    status_code=201,
    response_model=schemas.ScorecardOut,
    summary="Create a scorecard (version 1); its accounts are re-scored in the background",
)
async def create_scorecard(body: schemas.ScorecardIn, rt: RuntimeDep) -> dict[str, Any]:
    card_id = re.sub(r"[^a-z0-9]+", "-", body.name.lower()).strip("-")[:40] + "-" + secrets.token_hex(3)
    async with rt.pool.acquire() as conn, conn.transaction():
        row, job = await _save_version(conn, card_id, 1, body)
    return _card_out(row, job)


@router.put(
    "/scorecards/{card_id}",
    response_model=schemas.ScorecardOut,
    summary="Change a scorecard: a new version; its accounts are re-scored in the background",
)
async def update_scorecard(card_id: str, body: schemas.ScorecardIn, rt: RuntimeDep) -> dict[str, Any]:
    async with rt.pool.acquire() as conn, conn.transaction():
        current = await _latest(conn, card_id)
        if current is None:
            raise ApiError(404, "not_found", f"card_id: no scorecard '{card_id}'")
        row, job = await _save_version(conn, card_id, current["version"] + 1, body)
    return _card_out(row, job)


@router.get("/scorecards", response_model=list[schemas.ScorecardOut], summary="Current version of each scorecard")
async def list_scorecards(rt: RuntimeDep) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        rows = await repository.current_scorecards(conn)
    return [_card_out(r) for r in rows if r["active"]]


@router.get("/scorecards/{card_id}", response_model=schemas.ScorecardOut)
async def get_scorecard(card_id: str, rt: RuntimeDep, version: int | None = None) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        row = await (
            conn.fetchrow("SELECT * FROM scorecards WHERE id = $1 AND version = $2", card_id, version)
            if version
            else _latest(conn, card_id)
        )
    if row is None:
        raise ApiError(
            404, "not_found", f"card_id: no scorecard '{card_id}'" + (f" version {version}" if version else "")
        )
    return _card_out(row)


@router.delete("/scorecards/{card_id}", status_code=204, summary="Retire a scorecard (never the default)")
async def delete_scorecard(card_id: str, rt: RuntimeDep) -> None:
    async with rt.pool.acquire() as conn, conn.transaction():
        current = await _latest(conn, card_id)
        if current is None:
            raise ApiError(404, "not_found", f"card_id: no scorecard '{card_id}'")
        if current["is_default"]:
            raise ApiError(409, "default_scorecard", "card_id: make another scorecard the default first")
        await conn.execute("UPDATE scorecards SET active = false WHERE id = $1", card_id)
        ids = [
            r["account_id"]
            for r in await conn.fetch("SELECT account_id FROM account_health WHERE scorecard_id = $1", card_id)
        ]
        await repository.enqueue(conn, account_ids=ids, due_at=utcnow())


@router.get("/rescore-jobs/{job_id}", summary="Progress of a background re-score")
async def rescore_job(job_id: int, rt: RuntimeDep) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM rescore_jobs WHERE id = $1", job_id)
    if row is None:
        raise ApiError(404, "not_found", f"job_id: no re-score job {job_id}")
    progress = 1.0 if row["total"] == 0 else row["done"] / row["total"]
    return dict(row) | {"progress": round(progress, 4), "status": "done" if row["finished_at"] else "running"}


@router.post("/milestones", status_code=201, response_model=schemas.MilestoneIn, summary="Define a milestone")
async def create_milestone(body: schemas.MilestoneIn, rt: RuntimeDep) -> dict[str, Any]:
    async with rt.pool.acquire() as conn, conn.transaction():
        try:
            await conn.execute(
                "INSERT INTO milestone_defs (key, definition) VALUES ($1, $2)", body.key, body.model_dump(mode="json")
            )
        except asyncpg.UniqueViolationError:
            raise ApiError(409, "conflict", f"key: milestone '{body.key}' exists; PUT to change it") from None
        await repository.enqueue(conn, account_ids=await repository.all_account_ids(conn), due_at=utcnow())
    return body.model_dump(mode="json")


@router.put("/milestones/{key}", response_model=schemas.MilestoneIn, summary="Change a milestone definition")
async def update_milestone(key: str, body: schemas.MilestoneIn, rt: RuntimeDep) -> dict[str, Any]:
    if body.key != key:
        raise ApiError(422, "validation_error", "key: must match the path")
    async with rt.pool.acquire() as conn, conn.transaction():
        status = await conn.execute(
            "UPDATE milestone_defs SET definition = $2, active = true, updated_at = now() WHERE key = $1",
            key,
            body.model_dump(mode="json"),
        )
        if status.endswith(" 0"):
            raise ApiError(404, "not_found", f"key: no milestone '{key}'")
        await repository.enqueue(conn, account_ids=await repository.all_account_ids(conn), due_at=utcnow())
    return body.model_dump(mode="json")


@router.get("/milestones", response_model=list[schemas.MilestoneIn])
async def list_milestones(rt: RuntimeDep) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        return [dict(r["definition"]) for r in await repository.milestone_defs(conn)]


@router.delete("/milestones/{key}", status_code=204)
async def delete_milestone(key: str, rt: RuntimeDep) -> None:
    async with rt.pool.acquire() as conn:
        status = await conn.execute("UPDATE milestone_defs SET active = false WHERE key = $1", key)
    if status.endswith(" 0"):
        raise ApiError(404, "not_found", f"key: no milestone '{key}'")
