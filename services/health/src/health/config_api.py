"""Scorecard and milestone-definition CRUD, and re-score jobs. A scorecard change is a new version
and re-scores its accounts in the background; progress is readable at /v1/rescore-jobs/{id}."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Query

from bellwether_shared.envelope import utcnow
from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import Page, page
from health import config_repository as config, history, repository, schemas, scorecards
from health.deps import Configurer, Reader

router = APIRouter(prefix="/v1", tags=["configuration"], responses={401: {"description": "missing or wrong token"}})


def card_out(row: asyncpg.Record, job_id: int | None = None) -> dict[str, Any]:
    return dict(row["definition"]) | {
        "id": row["id"],
        "version": row["version"],
        "name": row["name"],
        "segments": row["segments"],
        "tiers": row["tiers"],
        "lifecycle_stages": row["lifecycle_stages"],
        "is_default": row["is_default"],
        "created_at": row["created_at"],
        "rescore_job_id": job_id,
    }


@router.post(
    "/scorecards",
    status_code=201,
    response_model=schemas.ScorecardOut,
    summary="Create a scorecard (version 1); its accounts are re-scored in the background",
)
async def create_scorecard(body: schemas.ScorecardIn, acting: Configurer) -> dict[str, Any]:
    rt = acting.rt
    card_id = re.sub(r"[^a-z0-9]+", "-", body.name.lower()).strip("-")[:40] + "-" + secrets.token_hex(3)
    async with rt.pool.acquire() as conn, conn.transaction():
        row, job = await scorecards.save_version(conn, card_id=card_id, version=1, body=body)
    return card_out(row, job)


@router.put(
    "/scorecards/{card_id}",
    response_model=schemas.ScorecardOut,
    summary="Change a scorecard: a new version; its accounts are re-scored in the background",
)
async def update_scorecard(card_id: str, body: schemas.ScorecardIn, acting: Configurer) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn, conn.transaction():
        current = await config.latest_scorecard(conn, card_id=card_id)
        if current is None:
            raise ApiError(404, "not_found", f"card_id: no scorecard '{card_id}'")
        row, job = await scorecards.save_version(conn, card_id=card_id, version=current["version"] + 1, body=body)
    return card_out(row, job)


@router.get("/scorecards", response_model=Page[schemas.ScorecardOut], summary="Current version of each scorecard")
async def list_scorecards(acting: Reader, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """A page of the current versions (a configuration table: tens of rows, paged all the same)."""
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = await repository.current_scorecards(conn)
    return page([card_out(r) for r in rows if r["active"]][offset : offset + limit], limit=limit, offset=offset)


@router.get("/scorecards/{card_id}", response_model=schemas.ScorecardOut)
async def get_scorecard(
    card_id: str, acting: Reader, version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        row = await (
            config.scorecard_version(conn, card_id=card_id, version=version)
            if version
            else config.latest_scorecard(conn, card_id=card_id)
        )
    if row is None:
        raise ApiError(
            404, "not_found", f"card_id: no scorecard '{card_id}'" + (f" version {version}" if version else "")
        )
    return card_out(row)


@router.delete("/scorecards/{card_id}", status_code=204, summary="Retire a scorecard (never the default)")
async def delete_scorecard(card_id: str, acting: Configurer) -> None:
    rt = acting.rt
    async with rt.pool.acquire() as conn, conn.transaction():
        current = await config.latest_scorecard(conn, card_id=card_id)
        if current is None:
            raise ApiError(404, "not_found", f"card_id: no scorecard '{card_id}'")
        if current["is_default"]:
            raise ApiError(409, "default_scorecard", "card_id: make another scorecard the default first")
        await scorecards.retire(conn, card_id=card_id)


@router.get("/rescore-jobs/{job_id}", summary="Progress of a background re-score")
async def rescore_job(job_id: Annotated[int, Path(ge=1, le=2**63 - 1)], acting: Reader) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        row = await config.rescore_job(conn, job_id=job_id)
    if row is None:
        raise ApiError(404, "not_found", f"job_id: no re-score job {job_id}")
    progress = 1.0 if row["total"] == 0 else row["done"] / row["total"]
    return row | {"progress": round(progress, 4), "status": "done" if row["finished_at"] else "running"}


@router.post("/milestones", status_code=201, response_model=schemas.MilestoneIn, summary="Define a milestone")
async def create_milestone(body: schemas.MilestoneIn, acting: Configurer) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        if not await scorecards.define_milestone(conn, milestone=body, new=True):
            raise ApiError(409, "conflict", f"key: milestone '{body.key}' exists; PUT to change it")
    return body.model_dump(mode="json")


@router.put("/milestones/{key}", response_model=schemas.MilestoneIn, summary="Change a milestone definition")
async def update_milestone(key: str, body: schemas.MilestoneIn, acting: Configurer) -> dict[str, Any]:
    rt = acting.rt
    if body.key != key:
        raise ApiError(422, "validation_error", "key: must match the path")
    async with rt.pool.acquire() as conn:
        if not await scorecards.define_milestone(conn, milestone=body, new=False):
            raise ApiError(404, "not_found", f"key: no milestone '{key}'")
    return body.model_dump(mode="json")


@router.get("/milestones", response_model=Page[schemas.MilestoneIn])
async def list_milestones(acting: Reader, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = await repository.milestone_defs(conn)
    return page([dict(r["definition"]) for r in rows][offset : offset + limit], limit=limit, offset=offset)


@router.delete("/milestones/{key}", status_code=204)
async def delete_milestone(key: str, acting: Configurer) -> None:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        found = await scorecards.retire_milestone(conn, key=key)
    if not found:
        raise ApiError(404, "not_found", f"key: no milestone '{key}'")


@router.post(
    "/history/rebuild",
    response_model=schemas.HistoryRebuilt,
    responses={422: {"description": "too many days"}},
    summary="Rebuild accounts' score history from imported usage (days before their first score; announces nothing)",
)
async def rebuild_history(body: schemas.HistoryRebuild, acting: Configurer) -> dict[str, Any]:
    rt = acting.rt
    until = body.until or (utcnow().date() - timedelta(days=1))
    if (until - body.since).days > history.MAX_DAYS:
        raise ApiError(422, "validation_error", f"since: at most {history.MAX_DAYS} days before until")
    async with rt.pool.acquire() as conn, conn.transaction():
        written = await history.rebuild(
            conn, account_ids=body.account_ids, since=body.since, until=until, settings=rt.settings
        )
    return {"since": body.since, "until": until, "scores_written": written}
