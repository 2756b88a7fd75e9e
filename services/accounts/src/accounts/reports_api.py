"""The executive report of a quarter, as JSON or as one self-contained HTML page with charts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from accounts import report, report_html
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
        doc = await report.build(conn, period=period, min_risk_arr=min_risk_arr, today=datetime.now(UTC).date())
    if format == "html":
        return HTMLResponse(report_html.render(doc))
    return doc
