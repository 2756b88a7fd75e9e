"""Feature requests and bugs as things of their own: who asked, the ARR at stake, which asking accounts
renew within 90 days, the status history; per owner, the open requests of their accounts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from bellwether_shared.envelope import utcnow
from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import page
from renewals import request_repository as requests
from renewals.deps import Reader

router = APIRouter(prefix="/v1", tags=["requests"], responses={401: {"description": "missing or unknown API key"}})


@router.get("/requests")
async def list_requests(
    caller: Reader,
    owner_id: Annotated[str | None, Query(max_length=200, description="requests of this person's accounts")] = None,
    account_id: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["open", "planned", "in_progress", "shipped", "declined"] | None = Query(
        None, description="'open' also takes planned and in progress"
    ),
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Requests by ARR at stake, largest first."""
    async with caller.rt.pool.acquire() as conn:
        rows = await requests.listed(
            conn,
            today=utcnow().date(),
            owner_id=owner_id,
            status=status,
            account_id=account_id,
            limit=limit,
            offset=offset,
        )
    return page(rows, limit=limit, offset=offset, legacy="requests")


@router.get("/requests/{request_id}")
async def get_request(request_id: str, caller: Reader) -> dict[str, Any]:
    async with caller.rt.pool.acquire() as conn:
        found = await requests.get(conn, request_id=request_id, today=utcnow().date())
    if found is None:
        raise ApiError(404, "not_found", f"request_id: no request '{request_id}'")
    return found
