"""Health read API: an account's health with its explanation, history, trend, milestones, users;
and the account list with filters. Thin: query, shape, answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, Query

from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import page
from health import query_repository as queries, relationship_schemas, schemas
from health.deps import Reader
from health.domain.scoring import trend as score_trend

router = APIRouter(prefix="/v1", tags=["health"], responses={401: {"description": "missing or wrong token"}})


def _not_found(account_id: str) -> ApiError:
    return ApiError(404, "not_found", f"account_id: no health score for '{account_id}' yet")


async def _trends(conn: asyncpg.Connection, account_id: str, now: datetime) -> dict[str, dict[str, Any]]:
    history = await queries.history_since(conn, account_id=account_id, since=now - timedelta(days=90))
    return {f"{d}d": score_trend(history, now, d) for d in (7, 30, 90)}


@router.get(
    "/accounts/{account_id}/health",
    response_model=schemas.HealthOut,
    summary="Current score, colour, per-measure explanation and what moved it",
)
async def account_health(account_id: str, acting: Reader) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        row = await queries.current(conn, account_id=account_id)
        if row is None:
            raise _not_found(account_id)
        return row | {"trend": await _trends(conn, account_id, datetime.now(UTC))}


@router.get("/accounts/{account_id}/health/history", summary="Score history, newest first")
async def account_history(
    account_id: str, acting: Reader, since: datetime | None = None, limit: Annotated[int, Query(ge=1, le=5000)] = 500
) -> list[dict[str, Any]]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        return await queries.scores(conn, account_id=account_id, since=since, limit=limit)


@router.get("/accounts/{account_id}/health/trend", summary="Change of the score over a window")
async def account_trend(
    account_id: str, acting: Reader, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> dict[str, Any]:
    rt = acting.rt
    now = datetime.now(UTC)
    async with rt.pool.acquire() as conn:
        history = await queries.history_since(conn, account_id=account_id, since=now - timedelta(days=days))
    if not history:
        raise _not_found(account_id)
    return score_trend(history, now, days)


@router.get("/accounts/{account_id}/milestones", response_model=list[schemas.MilestoneStateOut])
async def account_milestones(account_id: str, acting: Reader) -> list[dict[str, Any]]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        return await queries.milestones(conn, account_id=account_id)


@router.get("/accounts/{account_id}/users", summary="Who in the account is active, and who stopped")
async def account_users(
    account_id: str, acting: Reader, active_days: Annotated[int, Query(ge=1, le=365)] = 14
) -> list[dict[str, Any]]:
    rt = acting.rt
    cutoff = (datetime.now(UTC) - timedelta(days=active_days)).date()
    async with rt.pool.acquire() as conn:
        return await queries.users(conn, account_id=account_id, active_since=cutoff)


@router.get("/accounts/{account_id}/usage", summary="DAU / WAU / MAU, events by name and trend over a window")
async def account_usage(
    account_id: str, acting: Reader, days: Annotated[int, Query(ge=1, le=180)] = 30
) -> dict[str, Any]:
    rt = acting.rt
    today = datetime.now(UTC).date()
    start, prev_start = today - timedelta(days=days - 1), today - timedelta(days=2 * days - 1)
    async with rt.pool.acquire() as conn:
        got = await queries.usage(conn, account_id=account_id, today=today, start=start, prev_start=prev_start)
    current, previous = sum(r["events"] for r in got.by_event), got.previous
    change = None if previous == 0 else round((current - previous) / previous * 100, 1)
    return {
        "account_id": account_id,
        "window_days": days,
        **got.active,
        "events": current,
        "events_previous_window": previous,
        "events_change_pct": change,
        "by_event": got.by_event,
    }


@router.get(
    "/accounts/{account_id}/champions",
    response_model=relationship_schemas.ChampionsOut,
    summary="Each contact on the champion quadrant: engagement, delight, influence, quadrant and why",
)
async def account_champions(account_id: str, acting: Reader) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        found = await queries.champions(conn, account_id=account_id)
    if found is None:
        raise ApiError(404, "not_found", f"account_id: no contacts known for '{account_id}'")
    return found


@router.get(
    "/accounts/{account_id}/goals",
    response_model=relationship_schemas.GoalsOut,
    summary="The problem bought for, goals with computed progress, value reviews, blocking requests",
)
async def account_goals(account_id: str, acting: Reader) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        return await queries.goals(conn, account_id=account_id)


@router.get("/accounts", summary="Accounts by colour, segment, tier, owner, score, trend or a saved segment; paged")
async def list_accounts(
    acting: Reader,
    colour: Literal["red", "yellow", "green", "unknown"] | None = None,
    segment: str | None = None,
    tier: str | None = None,
    owner: str | None = Query(None, max_length=200, description="the account's CSM or AE: their book"),
    lifecycle_stage: Literal["onboarding", "adopting", "mature", "at_risk", "churned"] | None = None,
    saved: str | None = Query(None, max_length=64, description="a saved segment's key (GET /v1/segments)"),
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    max_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    trend: Literal["up", "down", "flat"] | None = Query(None, description="30-day trend (±3 points is flat)"),
    sort: Literal["score", "-score", "trend", "-trend", "account"] = "score",
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    rt = acting.rt
    given = {
        "colour": colour,
        "segment": segment,
        "tier": tier,
        "owner": owner,
        "lifecycle_stage": lifecycle_stage,
        "min_score": min_score,
        "max_score": max_score,
        "trend": trend,
    }
    async with rt.pool.acquire() as conn:
        base: dict[str, Any] = {}
        if saved is not None:
            seg = await queries.saved_segment(conn, key=saved)
            if seg is None:
                raise ApiError(404, "not_found", f"saved: no saved segment '{saved}'")
            base = dict(seg["filters"])
        where = queries.AccountFilter(**(base | {k: v for k, v in given.items() if v is not None}))
        total, items = await queries.accounts(conn, where=where, sort=sort, limit=limit, offset=offset)
    return page(items, limit=limit, offset=offset, total=total)
