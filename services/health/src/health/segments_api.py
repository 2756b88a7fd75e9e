"""Saved segments: named account lists ("health fell in the last 7 days") that every reader can open
with ``GET /v1/accounts?saved=<key>``; defining them is configuration (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from bellwether_shared.http import ApiError
from health import query_repository as queries, schemas, segments
from health.deps import Configurer, Reader

router = APIRouter(prefix="/v1", tags=["segments"], responses={401: {"description": "missing or wrong token"}})
Key = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")]


@router.get("/segments", response_model=list[schemas.SegmentOut], summary="Saved segments (built-in and yours)")
async def list_segments(acting: Reader) -> list[dict[str, Any]]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        return await queries.saved_segments(conn)


@router.put("/segments/{key}", response_model=schemas.SegmentOut, summary="Save a segment (its filters)")
async def put_segment(key: Key, body: schemas.SegmentIn, acting: Configurer) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        return await segments.save(conn, key=key, segment=body)


@router.delete("/segments/{key}", status_code=204, summary="Delete a saved segment")
async def delete_segment(key: Key, acting: Configurer) -> None:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        if not await segments.delete(conn, key=key):
            raise ApiError(404, "not_found", f"key: no saved segment '{key}'")
