"""Support as support leaders read it: per account and for the whole base (bellwether_shared.support)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from bellwether_shared import support as sp
from bellwether_shared.envelope import utcnow
from health import support
from health.deps import Reader
from health.support_schemas import Reason, SupportOut, Waiting

router = APIRouter(prefix="/v1", tags=["support"], responses={401: {"description": "missing or wrong token"}})
Days = Annotated[int, Query(ge=7, le=365, description="the window, and the one before it for the trend")]


def _out(account_id: str | None, s: sp.Support) -> SupportOut:
    return SupportOut(
        account_id=account_id,
        window_days=s.window_days,
        tickets=s.tickets,
        active_users=s.active_users,
        contact_rate=s.contact_rate,
        contact_rate_before=s.contact_rate_before,
        trend_pct=s.trend_pct,
        bug_share=s.bug_share,
        top_reasons=[Reason(reason=r, tickets=n) for r, n in s.top_reasons],
        unfulfilled_requests=[Waiting(title=t, status=st, age_days=a, accounts=n) for t, st, a, n in s.unfulfilled],
    )


@router.get("/support", response_model=SupportOut, summary="Support across every account")
async def overall(acting: Reader, window_days: Days = 30) -> SupportOut:
    async with acting.rt.pool.acquire() as conn:
        s = await support.read(conn, account_id=None, today=utcnow().date(), window_days=window_days)
    return _out(None, s)


@router.get("/accounts/{account_id}/support", response_model=SupportOut, summary="An account's support")
async def of_account(account_id: str, acting: Reader, window_days: Days = 30) -> SupportOut:
    async with acting.rt.pool.acquire() as conn:
        s = await support.read(conn, account_id=account_id, today=utcnow().date(), window_days=window_days)
    return _out(account_id, s)
