"""Scorecard calibration: fit suggested weights on closed renewals (admin), read them (viewer), and
apply a suggestion as the scorecard's next version (admin; never automatic)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import Page, page
from health import calibration, calibration_repository as repo, schemas
from health.config_api import card_out
from health.deps import Configurer, Reader

router = APIRouter(
    prefix="/v1/scorecards/{card_id}/calibrations",
    tags=["calibration"],
    responses={401: {"description": "missing or wrong key"}},
)
CalibrationId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post(
    "",
    status_code=201,
    response_model=schemas.CalibrationOut,
    summary="Fit suggested weights on closed renewals; current vs suggested AUC on held-out ones",
)
async def create(card_id: str, acting: Configurer, body: schemas.CalibrationIn) -> Any:
    rt = acting.rt
    async with rt.pool.acquire() as conn, conn.transaction():
        try:
            return dict(await calibration.run(conn, card_id=card_id, **body.model_dump()))
        except calibration.CalibrationError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None


@router.get("", response_model=Page[schemas.CalibrationOut], summary="This scorecard's calibrations, newest first")
async def listing(card_id: str, acting: Reader, limit: Limit = 20, offset: Offset = 0) -> Any:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = [dict(r) for r in await repo.recent(conn, card_id=card_id, limit=limit, offset=offset)]
    return page(rows, limit=limit, offset=offset)


@router.get("/{calibration_id}", response_model=schemas.CalibrationOut)
async def one(card_id: str, calibration_id: CalibrationId, acting: Reader) -> Any:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        row = await repo.get(conn, card_id=card_id, calibration_id=calibration_id)
    if row is None:
        raise ApiError(404, "not_found", f"calibration_id: no calibration {calibration_id} of '{card_id}'")
    return dict(row)


@router.post(
    "/{calibration_id}/apply",
    status_code=201,
    response_model=schemas.ScorecardOut,
    summary="Make the suggestion the scorecard's next version (its accounts are re-scored)",
)
async def apply(card_id: str, calibration_id: CalibrationId, acting: Configurer) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn, conn.transaction():
        try:
            row, job = await calibration.apply(conn, card_id=card_id, calibration_id=calibration_id)
        except calibration.CalibrationError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None
    return card_out(row, job)
