"""A CSM's quarterly pack: one account in depth (the largest, or the one asked for), the quarter's
achievements across the book (goals met, milestones, renewals, expansions), its adoption challenges,
the promised touches done and missed, and the renewals and growth ahead. The same page machinery as the
executive report (``pack_html``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

import asyncpg

from accounts import pack_repository as repo, query_repository as queries
from accounts.domain import report as rp, view

ACHIEVEMENTS: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "bellwether.health.goal_progress_changed.v1": lambda d: d.get("status") in ("met", "exceeded"),
    "bellwether.signals.goal_updated.v1": lambda d: d.get("status") in ("met", "exceeded"),
    "bellwether.health.milestone_achieved.v1": lambda d: True,
    "bellwether.renewals.renewal_closed.v1": lambda d: d.get("outcome") in ("renewed", "expanded"),
    "bellwether.renewals.opportunity_created.v1": lambda d: d.get("kind") == "expansion",
}
LOW_ADOPTION = 0.3  # under a third of the seats active: an adoption challenge


def _challenge(a: Any) -> str | None:
    """Why an account of the book is an adoption challenge, in words (None: it is not one)."""
    if a["adoption"] is not None and a["adoption"] < LOW_ADOPTION:
        return f"{a['adoption'] * 100:.0f} % of seats active"
    if a["value_step"] is not None and a["value_step"] <= 1:
        return f"value ladder: {a['value_reason']}"
    return None


async def _in_depth(conn: asyncpg.Connection, account_id: str | None, today: date) -> dict[str, Any] | None:
    if account_id is None:
        return None
    parts = await queries.account(conn, account_id=account_id)
    if parts is None:
        return None
    v = view.assemble(parts, [], datetime.combine(today, time.max, tzinfo=UTC))
    keep = ("account_id", "name", "tier", "arr", "health", "value_ladder", "engagement", "goals", "renewal")
    return {k: v[k] for k in keep}


async def build(
    conn: asyncpg.Connection, *, owner: str, period: str, today: date, account_id: str | None = None
) -> dict[str, Any]:
    start, end = rp.quarter_bounds(period)
    accounts = list(await repo.book(conn, owner=owner))
    ids = [a["account_id"] for a in accounts]
    names = {a["account_id"]: a["name"] for a in accounts}
    if account_id is not None and account_id not in names:
        raise ValueError(f"account_id: '{account_id}' is not in {owner}'s book")
    rows = await repo.events_of(conn, accounts=ids, since=start, until=end, event_types=list(ACHIEVEMENTS))
    achieved = [
        {"account": names[r["account_id"]], "day": r["occurred_at"].date().isoformat(), "what": r["title"]}
        for r in rows
        if ACHIEVEMENTS[r["event_type"]](r["detail"] or {})
    ]
    horizon = rp.quarter_bounds(rp.quarters(period, ahead=2)[-1])[1]
    touched = await repo.touches(conn, accounts=ids, since=start, until=end)
    return {
        "owner": owner,
        "period": period,
        "book": {"accounts": len(accounts), "arr": sum(a["arr"] for a in accounts)},
        "in_depth": await _in_depth(conn, account_id or (ids[0] if ids else None), today),
        "achievements": achieved,
        "adoption_challenges": [
            {"account": a["name"], "arr": a["arr"], "why": why} for a in accounts if (why := _challenge(a))
        ],
        "touches": [{"kind": t["kind"], "outcome": t["outcome"], "count": int(t["n"])} for t in touched],
        "ahead": [
            {
                "account": r["name"],
                "kind": r["kind"],
                "renewal_date": r["renewal_date"].isoformat() if r["renewal_date"] else None,
                "arr": r["arr"],
                "at_risk": r["at_risk"],
                "risk_level": r["risk_level"],
            }
            for r in await repo.ahead(conn, accounts=ids, since=today, until=horizon)
        ],
    }
