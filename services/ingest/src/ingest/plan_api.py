"""Tracking plans per source (admin): set, read, drop, and the violations seen (viewer)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from bellwether_shared.http import ApiError, JSONResponse, Limit, Offset
from bellwether_shared.paging import Page, page
from ingest import plan_repository, schemas, source_config, source_repository as sources
from ingest.admin_api import no_source
from ingest.deps import Configurer, Reader
from ingest.domain.tracking_plan import PlanError, TrackingPlan

router = APIRouter(prefix="/v1/sources/{source_id}", tags=["tracking plans"], responses={401: {"model": schemas.Error}})
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": schemas.Error}}


@router.put(
    "/tracking-plan",
    response_model=schemas.TrackingPlanDoc,
    responses=NOT_FOUND | {422: {"model": schemas.Error}},
    summary="Set the source's tracking plan (observe: count and annotate violations; enforce: reject them)",
)
async def put_plan(source_id: str, body: schemas.TrackingPlanDoc, acting: Configurer) -> dict[str, Any]:
    rt = acting.rt
    try:
        plan = TrackingPlan.from_doc(body.model_dump())
    except PlanError as exc:
        raise ApiError(422, "invalid_plan", str(exc), field=exc.field, reason=exc.reason) from None
    async with rt.pool.acquire() as conn:
        src = await source_config.set_tracking_plan(conn, source_id=source_id, plan=plan.as_doc())
    if src is None:
        raise no_source(source_id)
    rt.auth.forget(source_id)
    return plan.as_doc()


@router.get("/tracking-plan", response_model=schemas.TrackingPlanDoc, responses=NOT_FOUND)
async def get_plan(source_id: str, acting: Reader) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        src = await sources.get_source(conn, source_id=source_id)
    if src is None:
        raise no_source(source_id)
    if src.plan is None:
        raise ApiError(404, "not_found", f"source_id: source '{source_id}' has no tracking plan")
    return src.plan.as_doc()


@router.delete("/tracking-plan", status_code=204, responses=NOT_FOUND, summary="Drop the plan: nothing is checked")
async def drop_plan(source_id: str, acting: Configurer) -> None:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        src = await source_config.set_tracking_plan(conn, source_id=source_id, plan=None)
    if src is None:
        raise no_source(source_id)
    rt.auth.forget(source_id)


@router.get(
    "/tracking-plan/violations",
    response_model=Page[schemas.PlanViolationCount],
    responses=NOT_FOUND,
    summary="Violations seen, counted per event, kind and field (most frequent first)",
)
async def list_violations(
    source_id: str,
    acting: Reader,
    event: Annotated[str | None, Query(max_length=255)] = None,
    limit: Limit = 500,
    offset: Offset = 0,
) -> JSONResponse:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        if await sources.get_source(conn, source_id=source_id) is None:
            raise no_source(source_id)
        rows = await plan_repository.list_violations(conn, source_id=source_id, event=event, limit=limit, offset=offset)
    counts = [schemas.PlanViolationCount(**r).model_dump(mode="json") for r in rows]
    return JSONResponse(page(counts, limit=limit, offset=offset))
