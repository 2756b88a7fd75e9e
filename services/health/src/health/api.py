"""Health read API: an account's health with its explanation, history, trend, milestones, users;
and the account list with filters. Thin: query, shape, answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, Query

from bellwether_shared.http import ApiError
from health import schemas
from health.deps import RuntimeDep
from health.domain.scoring import trend as score_trend

router = APIRouter(prefix="/v1", tags=["health"], responses={401: {"description": "missing or wrong token"}})


def _not_found(account_id: str) -> ApiError:
    return ApiError(404, "not_found", f"account_id: no health score for '{account_id}' yet")


async def _history(conn: asyncpg.Connection, account_id: str, since: datetime) -> list[tuple[datetime, float]]:
    """Scores since ``since`` plus the last one before it: all a trend over that window needs."""
    rows = await conn.fetch(
        """(SELECT computed_at, value FROM scores WHERE account_id = $1 AND computed_at < $2
            ORDER BY computed_at DESC LIMIT 1)
           UNION ALL
           (SELECT computed_at, value FROM scores WHERE account_id = $1 AND computed_at >= $2)
           ORDER BY computed_at""",
        account_id,
        since,
    )
    return [(r["computed_at"], r["value"]) for r in rows]


async def _trends(conn: asyncpg.Connection, account_id: str, now: datetime) -> dict[str, dict[str, Any]]:
    history = await _history(conn, account_id, now - timedelta(days=90))
    return {f"{d}d": score_trend(history, now, d) for d in (7, 30, 90)}


@router.get(
    "/accounts/{account_id}/health",
    response_model=schemas.HealthOut,
    summary="Current score, colour, per-measure explanation and what moved it",
)
async def account_health(account_id: str, rt: RuntimeDep) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM account_health WHERE account_id = $1", account_id)
        if row is None:
            raise _not_found(account_id)
        return dict(row) | {"trend": await _trends(conn, account_id, datetime.now(UTC))}


@router.get("/accounts/{account_id}/health/history", summary="Score history, newest first")
async def account_history(
    account_id: str, rt: RuntimeDep, since: datetime | None = None, limit: Annotated[int, Query(ge=1, le=5000)] = 500
) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT computed_at, value, colour, sufficient, scorecard_id, scorecard_version, reasons FROM scores
               WHERE account_id = $1 AND ($2::timestamptz IS NULL OR computed_at >= $2)
               ORDER BY computed_at DESC LIMIT $3""",
            account_id,
            since,
            limit,
        )
    return [dict(r) for r in rows]


@router.get("/accounts/{account_id}/health/trend", summary="Change of the score over a window")
async def account_trend(
    account_id: str, rt: RuntimeDep, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with rt.pool.acquire() as conn:
        history = await _history(conn, account_id, now - timedelta(days=days))
    if not history:
        raise _not_found(account_id)
    return score_trend(history, now, days)


@router.get("/accounts/{account_id}/milestones", response_model=list[schemas.MilestoneStateOut])
async def account_milestones(account_id: str, rt: RuntimeDep) -> list[dict[str, Any]]:
    async with rt.pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT d.key, d.definition->>'name' AS name, coalesce(m.state, 'pending') AS state, m.achieved_on,
                      m.time_to_value_days
               FROM milestone_defs d LEFT JOIN account_milestones m ON m.milestone_key = d.key AND m.account_id = $1
               WHERE d.active ORDER BY d.key""",
            account_id,
        )
    return [dict(r) for r in rows]


@router.get("/accounts/{account_id}/users", summary="Who in the account is active, and who stopped")
async def account_users(
    account_id: str, rt: RuntimeDep, active_days: Annotated[int, Query(ge=1, le=365)] = 14
) -> list[dict[str, Any]]:
    cutoff = (datetime.now(UTC) - timedelta(days=active_days)).date()
    async with rt.pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT user_id, min(day) AS first_seen, max(day) AS last_seen,
                      CASE WHEN max(day) >= $2 THEN 'active' ELSE 'stopped' END AS status
               FROM user_days WHERE account_id = $1 GROUP BY user_id ORDER BY last_seen DESC, user_id""",
            account_id,
            cutoff,
        )
    return [dict(r) for r in rows]


@router.get("/accounts/{account_id}/usage", summary="DAU / WAU / MAU, events by name and trend over a window")
async def account_usage(
    account_id: str, rt: RuntimeDep, days: Annotated[int, Query(ge=1, le=180)] = 30
) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    start, prev_start = today - timedelta(days=days - 1), today - timedelta(days=2 * days - 1)
    async with rt.pool.acquire() as conn:
        active = await conn.fetchrow(
            """SELECT count(DISTINCT user_id) FILTER (WHERE day = $2) AS dau,
                      count(DISTINCT user_id) FILTER (WHERE day > $2 - 7) AS wau,
                      count(DISTINCT user_id) FILTER (WHERE day > $2 - 30) AS mau,
                      count(DISTINCT user_id) FILTER (WHERE day >= $3) AS active_in_window
               FROM user_days WHERE account_id = $1 AND day >= least($2 - 29, $3)""",
            account_id,
            today,
            start,
        )
        by_event = await conn.fetch(
            """SELECT event, sum(events)::bigint AS events FROM usage_daily WHERE account_id = $1 AND day >= $2
               GROUP BY event ORDER BY events DESC, event""",
            account_id,
            start,
        )
        previous = await conn.fetchval(
            "SELECT coalesce(sum(events), 0)::bigint FROM usage_daily WHERE account_id = $1 AND day >= $2 AND day < $3",
            account_id,
            prev_start,
            start,
        )
    current = sum(r["events"] for r in by_event)
    change = None if previous == 0 else round((current - previous) / previous * 100, 1)
    return {
        "account_id": account_id,
        "window_days": days,
        **dict(active),
        "events": current,
        "events_previous_window": previous,
        "events_change_pct": change,
        "by_event": [dict(r) for r in by_event],
    }


SORTS = {
    "score": "h.value ASC",
    "-score": "h.value DESC",
    "trend": "h.trend_30d ASC NULLS LAST",
    "-trend": "h.trend_30d DESC NULLS LAST",
    "account": "h.account_id ASC",
}


@router.get("/accounts", summary="Accounts by colour, segment, tier, score range and trend; sorted, paginated")
async def list_accounts(
    rt: RuntimeDep,
    colour: Literal["red", "yellow", "green", "unknown"] | None = None,
    segment: str | None = None,
    tier: str | None = None,
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    max_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    trend: Literal["up", "down", "flat"] | None = Query(None, description="30-day trend (±3 points is flat)"),
    sort: Literal["score", "-score", "trend", "-trend", "account"] = "score",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    where = """($1::text IS NULL OR h.colour = $1) AND ($2::text IS NULL OR a.segment = $2)
               AND ($3::text IS NULL OR a.tier = $3) AND ($4::float8 IS NULL OR h.value >= $4)
               AND ($5::float8 IS NULL OR h.value <= $5)
               AND ($6::text IS NULL OR ($6 = 'up' AND h.trend_30d >= 3) OR ($6 = 'down' AND h.trend_30d <= -3)
                    OR ($6 = 'flat' AND abs(coalesce(h.trend_30d, 0)) < 3))"""
    args = (colour, segment, tier, min_score, max_score, trend)
    async with rt.pool.acquire() as conn:
        total = await conn.fetchval(
            f"SELECT count(*) FROM account_health h LEFT JOIN accounts a USING (account_id) WHERE {where}", *args
        )
        rows = await conn.fetch(
            f"""SELECT h.account_id, a.name, a.tier, a.segment, h.value, h.colour, h.sufficient, h.trend_7d,
                       h.trend_30d, h.computed_at
                FROM account_health h LEFT JOIN accounts a USING (account_id) WHERE {where}
                ORDER BY {SORTS[sort]}, h.account_id LIMIT $7 OFFSET $8""",
            *args,
            limit,
            offset,
        )
    return {"total": total, "items": [dict(r) for r in rows], "limit": limit, "offset": offset}
