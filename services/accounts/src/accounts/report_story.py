"""What the executive report opens with: the company's headline figures (``domain.headlines``) with
their trend, then the quarter's stories (``domain.stories``): quotes, wins and escalations, each from
the account view's own projection (the timeline keeps every event with what it said)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import date
from typing import Any

import asyncpg

from accounts import report_repository as repo
from accounts.domain import headlines as hl, report as rp, stories as st

STORY_EVENTS = (
    "bellwether.signals.nps_submitted.v1",
    "bellwether.signals.value_review_recorded.v1",
    "bellwether.signals.goal_updated.v1",
    "bellwether.health.goal_progress_changed.v1",
    "bellwether.renewals.opportunity_created.v1",
    "bellwether.renewals.renewal_closed.v1",
    "bellwether.renewals.risk_escalated.v1",
)


async def _ttv(conn: asyncpg.Connection, period: str) -> float | None:
    start, end = rp.quarter_bounds(period)
    return rp.median_ttv(await repo.ttv_days(conn, since=start, until=end))


async def headline_figures(
    conn: asyncpg.Connection,
    *,
    period: str,
    today: date,
    by_quarter: Mapping[str, rp.Retention],
    shares: Mapping[str, float | None],
    keys: Sequence[str],
) -> list[dict[str, Any]]:
    """``shares``: the figures only the current state knows (onboarding, champions, the value ladder)."""
    before = rp.quarters(period, back=1)[0]
    now, then = by_quarter.get(period), by_quarter.get(before)
    horizon = rp.quarter_bounds(rp.quarters(period, ahead=2)[-1])[1]
    current = {
        "nrr": now.nrr if now else None,
        "grr": now.grr if now else None,
        "arr_at_risk": await repo.arr_at_risk(conn, since=today, until=horizon),
        "time_to_value": await _ttv(conn, period),
        **shares,
    }
    previous = {
        "nrr": then.nrr if then else None,
        "grr": then.grr if then else None,
        "time_to_value": await _ttv(conn, before),
    }
    return [asdict(h) for h in hl.headlines(keys, current, previous)]


async def stories(conn: asyncpg.Connection, *, period: str) -> dict[str, list[dict[str, Any]]]:
    start, end = rp.quarter_bounds(period)
    rows = await repo.moments(conn, since=start, until=end, event_types=STORY_EVENTS)
    moments = [
        st.Moment(
            r["account_id"],
            r["name"] or r["account_id"],
            float(r["arr"]),
            r["occurred_at"],
            r["event_type"].split(".")[-2],
            r["title"],
            r["detail"],
        )
        for r in rows
    ]
    return {
        "quotes": [asdict(s) for s in st.quotes(moments)],
        "wins": [asdict(s) for s in st.wins(moments)],
        "escalations": [asdict(s) for s in st.escalations(moments)],
    }
