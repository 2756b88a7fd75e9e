"""Books of business, forecast, health-score backtest and retention reports (read-only)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from bellwether_shared.envelope import utcnow
from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import page
from renewals import config_api, insights_repository as q, repository, touches
from renewals.deps import Reader
from renewals.domain import attention as at, backtest as bt, books as bk, forecast as fc, timeliness as tl

router = APIRouter(prefix="/v1", tags=["insights"], responses={401: {"description": "missing or unknown API key"}})


@router.get("/attention")
async def attention(
    caller: Reader,
    owner_id: Annotated[str, Query(min_length=1, max_length=200, description="the CSM (or AE, renewal owner)")],
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The owner's accounts ranked by risk × ARR × nearness of renewal, each with its reason and the
    promised touches it is owed (`touches_overdue`)."""
    today = utcnow().date()
    async with caller.rt.pool.acquire() as conn:
        rows = await q.attention_candidates(conn, owner_id=owner_id)
        owed = await touches.owed(conn, rows=rows, settings=caller.rt.settings, today=today)
    entries = at.queue(
        at.Candidate(
            r["account_id"],
            r["name"],
            r["arr"],
            (r["renewal_date"] - today).days if r["renewal_date"] else None,
            r["risk_points"],
            [x["text"] for x in r["risk_reasons"]],
            r["health_colour"],
            owed.get(r["account_id"], ()),
        )
        for r in rows
    )
    ranked = [asdict(e) for e in entries[offset : offset + limit]]
    return page(ranked, limit=limit, offset=offset, legacy="accounts", owner_id=owner_id)


@router.get("/books")
async def books(
    caller: Reader, role: Literal["csm", "ae", "renewal_owner"] = "csm", over_capacity: bool | None = None
) -> dict[str, Any]:
    """Per owner: accounts and ARR by tier against the capacity per tier, and the hours a year the
    accounts' promised touches take against a CSM's (`touch_hours`, `touch_utilisation`: the engagement
    model of each account decides its touches); over-capacity owners first (by either measure);
    accounts whose open renewal and open expansion have different owners (`split_accounts`).
    Accounts whose deal was rejected at hand-off count in the workload and apart (`rejected_accounts`):
    they leave the CSM's retention figures, not the CSM's work."""
    tiers = caller.rt.settings.tiers
    async with caller.rt.pool.acquire() as conn:
        capacity = config_api.capacity(tiers, await repository.get_setting(conn, key="capacity"))
        rows = await q.holdings(conn, role=role, today=utcnow().date())
    result = bk.books(
        (
            bk.Holding(
                r["owner_id"],
                r["account_id"],
                tiers.name(r["tier"]) or r["tier"],
                r["arr"],
                r["rejected"],
                r["renewal_owner"],
                tuple(r["expansion_owners"]),
                r["growth_potential"],
                r["engagement_preference"],
                r["engagement_model"],
            )
            for r in rows
        ),
        capacity,
        promises=caller.rt.settings.promises(),
    )
    if over_capacity is not None:
        result = [b for b in result if b.over_capacity == over_capacity]
    return {"role": role, "capacity": capacity, "owners": [asdict(b) for b in result]}


@router.get("/forecast")
async def forecast(
    caller: Reader,
    start: Annotated[date | None, Query(alias="from", description="default: today")] = None,
    end: Annotated[date | None, Query(alias="to", description="exclusive; default: a year after `from`")] = None,
    period: Literal["month", "quarter", "year"] = "quarter",
    basis: Literal["colour", "exposure"] = Query("colour", description="which churn rates: per colour or exposure"),
    what_if: Annotated[list[str] | None, Query(max_length=4, description="exposure:rate, e.g. high:0.3")] = None,
) -> dict[str, Any]:
    """ARR up for renewal (contracts ending in [from, to)) by period × exposure × health colour, and the
    expected churned ARR: churn rates per colour as configured, or learned from this company's closed
    renewals once a colour has `LEARNED_RATES_MIN_SAMPLES` of them (each rate says which); or per exposure
    level (`basis=exposure`). `what_if=high:0.3` adds a scenario: the ARR at risk per period if
    high-exposure accounts churned at 30 %."""
    overrides = _what_if(what_if or [])
    start = start or utcnow().date()
    end = end or start + timedelta(days=365)
    if end <= start:
        raise ApiError(
            422, "validation_error", "to: must be after from", errors=[{"field": "to", "reason": "must be after from"}]
        )
    async with caller.rt.pool.acquire() as conn:
        configured = await repository.get_setting(conn, key="churn_rates")
        closed = {
            r["colour"]: fc.Outcomes(r["closed"], r["churned"])
            for r in await q.closed_by_colour(conn, days_before=caller.rt.settings.learned_rates_days_before)
        }
        up = await q.up_for_renewal(conn, start=start, end=end, period=period)
        by_exposure = fc.exposure_rates(await repository.get_setting(conn, key="exposure_churn_rates"))
    cells = [fc.Up(r["period"], r["exposure"] or "unknown", r["colour"], r["arr"], r["contracts"]) for r in up]
    rates = (
        fc.rates(configured, closed, caller.rt.settings.learned_rates_min_samples) if basis == "colour" else by_exposure
    )
    result = fc.forecast(cells, rates, basis=basis)
    out: dict[str, Any] = {"from": start, "to": end, "period": period, "basis": basis, **asdict(result)}
    if overrides:
        risk = fc.what_if(cells, by_exposure, overrides)
        out["what_if"] = {
            "rates": overrides,
            "by_period": [asdict(p) for p in risk],
            "arr_at_risk_delta": round(sum(p.arr_at_risk_delta for p in risk), 2),
        }
    return out


def _what_if(given: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in given:
        level, _, rate = item.partition(":")
        try:
            value = float(rate)
        except ValueError:
            value = -1.0
        if level not in fc.EXPOSURES or not 0 <= value <= 1:
            reason = f"'{item[:40]}' is not exposure:rate (exposure high, moderate, low; rate 0 to 1)"
            raise ApiError(
                422, "validation_error", f"what_if: {reason}", errors=[{"field": "what_if", "reason": reason}]
            )
        out[level] = value
    return out


@router.get("/reports/churn")
async def churn_report(
    caller: Reader,
    start: Annotated[date | None, Query(alias="from", description="renewals closed on or after")] = None,
    end: Annotated[date | None, Query(alias="to", description="before; default: today")] = None,
) -> dict[str, Any]:
    """Why ARR was lost: churned and downgraded renewals by reason (the churn taxonomy), with ARR lost."""
    end = end or utcnow().date() + timedelta(days=1)
    start = start or end - timedelta(days=366)
    async with caller.rt.pool.acquire() as conn:
        rows = await q.churn_reasons(conn, start=start, end=end)
    return {"from": start, "to": end, "reasons": rows, "arr_lost": round(sum(r["arr_lost"] for r in rows), 2)}


@router.get("/backtest")
async def backtest(
    caller: Reader,
    days_before: Annotated[int, Query(ge=0, le=730, description="score taken this many days before the renewal")] = 90,
    downgrade_is_churn: bool = False,
) -> dict[str, Any]:
    """Did the health score predict renewals? For closed renewals: ROC AUC of the score N days before
    the renewal date (1.0 perfect, 0.5 a coin), churn rate by colour and its lift; overall and per
    scorecard version."""
    churn = ["churned", "downgraded"] if downgrade_is_churn else ["churned"]
    async with caller.rt.pool.acquire() as conn:
        rows = await q.backtest_tallies(conn, days_before=days_before, churn=churn)
    groups: dict[str, list[bt.Tally]] = {}
    everything: list[bt.Tally] = []
    for r in rows:
        t = bt.Tally(r["value"], r["colour"], r["renewed"], r["churned"])
        everything.append(t)
        groups.setdefault(f"{r['scorecard_id']}@v{r['scorecard_version']}", []).append(t)
    return {
        "days_before": days_before,
        "overall": asdict(bt.evaluate_tallies(everything)),
        "by_scorecard_version": {k: asdict(bt.evaluate_tallies(v)) for k, v in sorted(groups.items())},
    }


@router.get("/reports/retention")
async def retention(
    caller: Reader,
    by: Literal["deal_quality_band", "lead_source", "lead_score_band", "csm", "ae"] = "deal_quality_band",
) -> dict[str, Any]:
    """Renewal rate and net retention of closed renewals, grouped by the deal's hand-off quality band,
    lead source or lead-score band (which deals renew), or by CSM or AE. By CSM, renewals of deals CS
    rejected at hand-off are left out: a CSM is not measured on a deal they flagged as badly sold."""
    async with caller.rt.pool.acquire() as conn:
        rows = await q.retention(conn, by=by)
    return {
        "by": by,
        "groups": [
            {
                "group": r["grp"],
                "closed": r["closed"],
                "renewed": r["renewed"],
                "renewal_rate": round(r["renewed"] / r["closed"], 4),
                "net_retention": round(r["arr_after"] / r["arr_before"], 4) if r["arr_before"] else None,
                "arr_before": r["arr_before"],
                "arr_after": r["arr_after"],
            }
            for r in rows
        ],
    }


@router.get("/reports/timeliness")
async def timeliness(
    caller: Reader,
    start: Annotated[date | None, Query(alias="from", description="default: 90 days ago")] = None,
    end: Annotated[date | None, Query(alias="to", description="exclusive; default: tomorrow")] = None,
    last_days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> dict[str, Any]:
    """Renewals are a non-event: per owner, of the renewals dated in [from, to) up to today, those that
    closed after their date (or are still open past it) and those whose risk was first seen inside their
    last `last_days` days, each named; owners with the most failures first."""
    today = utcnow().date()
    start, end = start or tl.since(today, 90), end or today + timedelta(days=1)
    if end <= start:
        raise ApiError(422, "validation_error", "to: must be after from", errors=[{"field": "to", "reason": "<= from"}])
    async with caller.rt.pool.acquire() as conn:
        rows = await q.renewals_due(conn, start=start, end=end)
    owners = tl.by_owner((tl.Renewal(**dict(r)) for r in rows), today=today, last_days=last_days)
    return {"from": start, "to": end, "last_days": last_days, "owners": [asdict(o) for o in owners]}
