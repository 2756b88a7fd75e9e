"""Deletion requests (admin): forget a user everywhere, optionally suppress their further events; the
list of requests (who asked and when); lifting a suppression."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bellwether_shared.envelope import utcnow
from bellwether_shared.http import ApiError, JSONResponse, Limit, Offset
from bellwether_shared.paging import Page, page
from ingest import deletion, deletion_repository, schemas
from ingest.deletion import delete_user
from ingest.deletion_repository import user_hash
from ingest.deps import Configurer, Reader

router = APIRouter(prefix="/v1", tags=["privacy"], responses={401: {"model": schemas.Error}})


@router.post(
    "/deletions",
    status_code=202,
    response_model=schemas.DeletionOut,
    summary="Delete a user's personal data in every service (and suppress their further events)",
)
async def request_deletion(body: schemas.DeletionIn, acting: Configurer) -> JSONResponse:
    rt, caller = acting.rt, acting.caller
    request_id, _ = await delete_user(
        rt.intake, user_id=body.user_id, contact_ids=body.contact_ids, requested_by=caller.actor, suppress=body.suppress
    )
    out = {
        "request_id": request_id,
        "user_hash": user_hash(body.user_id),
        "requested_by": caller.actor,
        "requested_at": utcnow().isoformat(),
        "suppress": body.suppress,
        "contacts": len(body.contact_ids),
    }
    return JSONResponse(out, status_code=202)


@router.get("/deletions", response_model=Page[schemas.DeletionOut], summary="Deletion requests, newest first")
async def list_deletions(acting: Reader, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = await deletion_repository.list_requests(conn, limit=limit, offset=offset)
    return page(rows, limit=limit, offset=offset)


@router.delete(
    "/suppressions/{user_id}",
    status_code=204,
    responses={404: {"model": schemas.Error}},
    summary="Accept a suppressed user's events again",
)
async def lift_suppression(user_id: str, acting: Configurer) -> None:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        if not await deletion.lift(conn, user_id=user_id):
            raise ApiError(404, "not_found", "user_id: not suppressed")
    rt.intake.suppressions.drop(user_hash(user_id))
