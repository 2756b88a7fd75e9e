"""The executive report of a quarter: the figures (``domain.report``) from the account view's projection,
as one JSON document; ``report_html`` draws it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, get_args

import asyncpg

from accounts import report_repository as repo, report_story
from accounts.domain import headlines, report as rp
from bellwether_shared import support as sp
from bellwether_shared.events import health as hev


def _at(d: Any) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


async def build(
    conn: asyncpg.Connection,
    *,
    period: str,
    min_risk_arr: float,
    today: Any,
    headline_keys: Sequence[str] = headlines.DEFAULT,
) -> dict[str, Any]:
    """The report of a quarter: its headline figures and stories first, then the detail."""
    start, end = rp.quarter_bounds(period)
    back = rp.quarters(period, back=3)
    first = rp.quarter_bounds(back[0])[0]
    outcomes = [
        rp.Outcome(
            r["account_id"],
            r["renewal_date"],
            r["arr"],
            r["arr_change"],
            r["outcome"],
            r["tier"],
            r["csm"],
            r["ae"],
            r["deal_rejected"],
        )
        for r in await repo.closed_renewals(conn, since=first, until=end)
    ]
    retention: dict[str, Any] = rp.retention_report(outcomes, period)
    as_of = min(end - timedelta(days=1), today)
    dates = rp.month_ends(as_of, 12)
    arr, history = await repo.arr_and_colours(conn, since=_at(dates[0]))
    ahead = rp.quarters(period, ahead=3)
    upcoming = await repo.open_renewals(conn, since=start, until=rp.quarter_bounds(ahead[-1])[1])
    onboarding = await repo.onboarding(conn)
    champions = await repo.champions(conn)
    tiles = _tiles(onboarding, champions)
    ladder = _ladder(await repo.value_ladder(conn))
    shares = {
        "onboarding_completion": tiles["onboarding"]["completion_rate"],
        "champion_coverage": tiles["champions"]["share"],
        "goals_met_or_above": ladder["goals_met_or_above"],
    }
    heads = await report_story.headline_figures(
        conn, period=period, today=as_of, by_quarter=retention["by_quarter"], shares=shares, keys=headline_keys
    )
    return {
        "period": period,
        "headlines": heads,
        "stories": await report_story.stories(conn, period=period),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "generated_at": datetime.now(UTC).isoformat(),
        "retention": _retention(retention),
        "arr_by_colour": rp.arr_by_colour(arr, history, dates),
        "forecast": rp.forecast(((r["renewal_date"], r["arr"], r["colour"]) for r in upcoming), ahead),
        **tiles,
        "value_ladder": ladder,
        "support": await _support(conn, period=period, today=as_of),
        "at_risk": await repo.at_risk(conn, min_arr=min_risk_arr, since=_at(first)),
        "min_risk_arr": min_risk_arr,
    }


RUNGS: tuple[str, ...] = get_args(hev.ValueLadderChanged.model_fields["rung"].annotation)


def _ladder(rows: list[Any]) -> dict[str, Any]:
    """Accounts and ARR per rung, bottom to top, with each rung's share of the placed accounts."""
    counts = {r["rung"]: (int(r["accounts"]), float(r["arr"])) for r in rows}
    placed = sum(n for rung, (n, _) in counts.items() if rung is not None)
    rungs: list[dict[str, Any]] = []
    for step, rung in enumerate(RUNGS):
        n, arr = counts.get(rung, (0, 0.0))
        rungs.append({"rung": rung, "step": step, "accounts": n, "arr": arr, "share": rp.share(n, placed)})
    at_goals = sum(counts.get(rung, (0, 0.0))[0] for rung in RUNGS[3:])
    return {
        "rungs": rungs,
        "placed": placed,
        "not_placed": counts.get(None, (0, 0.0))[0],
        "goals_met_or_above": rp.share(at_goals, placed),
    }


async def _support(conn: asyncpg.Connection, *, period: str, today: date) -> dict[str, Any]:
    """Tickets opened in the period against the period before (by reason, linked to a bug) and the
    requests still waiting; the rate per active user is health's (GET /v1/support), which sees usage."""
    start, end = rp.quarter_bounds(period)
    before = rp.quarter_bounds(rp.quarters(period, back=1)[0])[0]
    rows = await repo.tickets_by_reason(conn, since=before, start=start, until=end)
    now, earlier = sp.windows((r["current"], r["reason"], r["bug_linked"], int(r["tickets"])) for r in rows)
    waiting = await repo.waiting_requests(conn, limit=10)
    requests = [sp.Request(r["title"], r["status"], r["first_seen"], int(r["accounts"])) for r in waiting]
    s = sp.summarise(now, earlier, active_users=0, active_users_before=0, requests=requests, today=today, top=5)
    arr = {r["title"]: float(r["arr"]) for r in waiting}
    return {
        "tickets": now.tickets,
        "tickets_before": earlier.tickets,
        "bug_share": s.bug_share,
        "top_reasons": [{"reason": reason, "tickets": n} for reason, n in s.top_reasons],
        "unfulfilled_requests": [
            {"title": t, "status": st, "age_days": age, "accounts": n, "arr": arr.get(t, 0.0)}
            for t, st, age, n in s.unfulfilled
        ],
    }


def _retention(r: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"period": asdict(r["period"])}
    for key in ("by_quarter", "by_tier", "by_csm", "by_ae"):
        out[key] = {group: asdict(v) for group, v in r[key].items()}
    return out


def _tiles(onboarding: dict[str, Any], champions: dict[str, Any]) -> dict[str, Any]:
    ttv = onboarding["ttv_days"]
    return {
        "time_to_value": {"median_days": rp.median_ttv(ttv), "accounts": len(ttv)},
        "onboarding": {
            "started": onboarding["started"],
            "completed": onboarding["completed"],
            "completion_rate": rp.share(onboarding["completed"], onboarding["started"]),
        },
        "champions": {
            "assessed_accounts": champions["assessed"],
            "with_healthy_influential": champions["covered"],
            "share": rp.share(champions["covered"], champions["assessed"]),
            "strategic_contacts": champions["contacts"],
        },
    }
