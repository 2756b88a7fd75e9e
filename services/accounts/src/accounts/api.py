"""The account view's API: one account whole, its timeline by kind, and the portfolio by owner. Thin:
query, let the pure core assemble, answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from accounts import query_repository as queries
from accounts.deps import Reader
from accounts.domain import view
from accounts.schemas import Kind, PortfolioPage, TimelinePage
from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import cursor_page, page

router = APIRouter(prefix="/v1", tags=["accounts"], responses={401: {"description": "missing or wrong key"}})


@router.get(
    "/accounts/{account_id}",
    summary="The whole account: owners, health, champions, goals, tickets, "
    "requests, NPS, contracts, renewal and risk, recent alerts",
)
async def whole_account(account_id: str, acting: Reader) -> dict[str, Any]:
    rt = acting.rt
    now = datetime.now(UTC)
    async with rt.pool.acquire() as conn:
        parts = await queries.account(conn, account_id=account_id)
        if parts is None:
            raise ApiError(404, "not_found", f"account_id: no account '{account_id}' known yet")
        scores = await queries.scores(conn, account_id=account_id, since=now - timedelta(days=90))
    tier = rt.settings.tiers.name(parts["account"].get("tier"))
    return view.assemble(
        parts, scores, now, tier=tier, promises=rt.settings.promises(), min_peers=rt.settings.peer_min_group
    )


@router.get(
    "/accounts/{account_id}/timeline",
    response_model=TimelinePage,
    summary="Everything that happened to the account, newest first",
)
async def account_timeline(
    account_id: str,
    acting: Reader,
    kind: Annotated[list[Kind] | None, Query(max_length=12, description="only these kinds")] = None,
    before_id: Annotated[int | None, Query(ge=1, description="the next page: the last entry's id")] = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        items = await queries.timeline(
            conn, account_id=account_id, kinds=list(kind) if kind else None, before_id=before_id, limit=limit
        )
    return cursor_page(items, limit=limit, account_id=account_id)


@router.get(
    "/accounts",
    response_model=PortfolioPage,
    summary="The portfolio: accounts by owner (a book), colour, tier, risk, renewal window",
)
async def portfolio(
    acting: Reader,
    owner: Annotated[str | None, Query(max_length=200, description="the account's CSM, AE or renewal owner")] = None,
    colour: Literal["red", "yellow", "green", "unknown"] | None = None,
    tier: Annotated[str | None, Query(max_length=200)] = None,
    at_risk: bool | None = None,
    renewing_within_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    rt = acting.rt
    before = date.today() + timedelta(days=renewing_within_days + 1) if renewing_within_days is not None else None
    where = queries.Portfolio(owner, colour, tier, at_risk, before)
    async with rt.pool.acquire() as conn:
        items = await queries.portfolio(conn, where=where, limit=limit, offset=offset)
    return page(items, limit=limit, offset=offset)
