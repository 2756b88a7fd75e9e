"""The executive report of a quarter, as JSON or as one self-contained HTML page with charts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from accounts import pack, pack_html, report, report_html
from accounts.deps import Reader
from accounts.domain import report as rp
from bellwether_shared.http import ApiError

router = APIRouter(prefix="/v1", tags=["reports"], responses={401: {"description": "missing or wrong key"}})


@router.get("/reports/executive", summary="Retention, ARR by colour, forecast, time to value, champions, risks")
async def executive(
    acting: Reader,
    period: Annotated[str, Query(pattern=r"^[0-9]{4}-Q[1-4]$", description="a quarter, e.g. 2026-Q4")],
    format: Literal["json", "html"] = "json",
    min_risk_arr: Annotated[float, Query(ge=0, le=1e12, description="at-risk accounts from this ARR")] = 50_000,
) -> Any:
    rt = acting.rt
    try:
        rp.check_period(period)
    except ValueError as exc:
        raise ApiError(422, "validation_error", str(exc), errors=[{"field": "period", "reason": str(exc)}]) from None
    async with rt.pool.acquire() as conn:
        doc = await report.build(
            conn,
            period=period,
            min_risk_arr=min_risk_arr,
            today=datetime.now(UTC).date(),
            headline_keys=rt.settings.report_headlines,
        )
    if format == "html":
        return HTMLResponse(report_html.render(doc))
    return doc


@router.get("/reports/csm", summary="A CSM's quarterly pack: one account in depth, achievements, challenges, touches")
async def csm_pack(
    acting: Reader,
    owner: Annotated[str, Query(min_length=1, max_length=200, description="the CSM")],
    period: Annotated[str, Query(pattern=r"^[0-9]{4}-Q[1-4]$", description="a quarter, e.g. 2026-Q4")],
    format: Literal["json", "html"] = "json",
    account_id: Annotated[
        str | None, Query(max_length=200, description="the account in depth (default: largest)")
    ] = None,
) -> Any:
    try:
        rp.check_period(period)
    except ValueError as exc:
        raise ApiError(422, "validation_error", str(exc), errors=[{"field": "period", "reason": str(exc)}]) from None
    async with acting.rt.pool.acquire() as conn:
        try:
            doc = await pack.build(
                conn, owner=owner, period=period, today=datetime.now(UTC).date(), account_id=account_id
            )
        except ValueError as exc:
            raise ApiError(
                422, "validation_error", str(exc), errors=[{"field": "account_id", "reason": str(exc)}]
            ) from None
    return HTMLResponse(pack_html.render(doc)) if format == "html" else doc
