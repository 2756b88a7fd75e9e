"""The executive report's figures (pure): a few outcome numbers leaders act on, not a data dump.

* Gross and net revenue retention of the renewals due in a quarter: GRR = (starting ARR − churned −
  contraction) ÷ starting ARR, NRR = GRR's numerator + expansion, ÷ starting ARR; by quarter, tier, CSM
  (accounts whose deal CS rejected at hand-off are left out of the CSM's figures) and AE.
* ARR by health colour over time (at each month's end, the colour the account then had).
* The renewal forecast: ARR up for renewal by quarter × health colour.
* Median time to value (days to the first achieved milestone) and the onboarding completion rate (the
  customer confirmed both technical and process integration).
* The share of accounts with a healthy, influential champion.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bellwether_shared.dates import (  # the report's periods: quarters and month ends
    check_period as check_period,
    month_ends as month_ends,
    quarter_bounds as quarter_bounds,
    quarter_of as quarter_of,
    quarters as quarters,
)

COLOURS = ("green", "yellow", "red", "unknown")


@dataclass(frozen=True, slots=True)
class Outcome:
    account_id: str
    renewal_date: date
    arr: float  # ARR up for renewal
    arr_change: float  # new ARR minus old (minus the ARR for a churn)
    outcome: str  # renewed / expanded / downgraded / churned
    tier: str | None = None
    csm: str | None = None
    ae: str | None = None
    deal_rejected: bool = False


@dataclass(frozen=True, slots=True)
class Retention:
    renewals: int
    starting_arr: float
    churned_arr: float
    contraction_arr: float
    expansion_arr: float
    grr: float | None
    nrr: float | None


def retention(outcomes: Iterable[Outcome]) -> Retention:
    n = start = churned = contraction = expansion = 0.0
    for o in outcomes:
        n += 1
        start += o.arr
        if o.outcome == "churned":
            churned += o.arr
        elif o.arr_change < 0:
            contraction += min(o.arr, -o.arr_change)  # a term cannot lose more than its ARR
        else:
            expansion += o.arr_change
    kept = start - churned - contraction
    return Retention(
        int(n),
        round(start, 2),
        round(churned, 2),
        round(contraction, 2),
        round(expansion, 2),
        round(kept / start, 4) if start else None,
        round((kept + expansion) / start, 4) if start else None,
    )


def retention_by(
    outcomes: Sequence[Outcome],
    key: Callable[[Outcome], str | None],
    *,
    skip: Callable[[Outcome], bool] = lambda o: False,
) -> dict[str, Retention]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if not skip(o):
            groups[key(o) or "unassigned"].append(o)
    return {k: retention(v) for k, v in sorted(groups.items())}


def retention_report(outcomes: Sequence[Outcome], period: str, *, back: int = 3) -> dict[str, object]:
    """GRR and NRR per quarter (the period and the ``back`` before it); by tier, CSM and AE in the period."""
    start, end = quarter_bounds(quarters(period, back=back)[0])[0], quarter_bounds(period)[1]
    span = [o for o in outcomes if start <= o.renewal_date < end]
    inside = [o for o in span if quarter_of(o.renewal_date) == period]
    return {
        "by_quarter": {
            q: retention(o for o in span if quarter_of(o.renewal_date) == q) for q in quarters(period, back=back)
        },
        "by_tier": retention_by(inside, lambda o: o.tier),
        "by_csm": retention_by(inside, lambda o: o.csm, skip=lambda o: o.deal_rejected),
        "by_ae": retention_by(inside, lambda o: o.ae),
        "period": retention(inside),
    }


def arr_by_colour(
    arr: Mapping[str, float], history: Mapping[str, Sequence[tuple[datetime, str]]], dates: Sequence[date]
) -> list[dict[str, float | str]]:
    """At each date, the ARR of accounts by the colour they had then (``unknown`` before any score)."""
    out: list[dict[str, float | str]] = []
    for d in dates:
        row: dict[str, float | str] = {"date": d.isoformat(), **{c: 0.0 for c in COLOURS}}
        for account, value in arr.items():
            seen = [c for t, c in history.get(account, ()) if t.date() <= d]
            colour = seen[-1] if seen else "unknown"
            row[colour] = round(float(row[colour]) + value, 2)
        out.append(row)
    return out


def forecast(
    open_renewals: Iterable[tuple[date, float, str | None]], periods: Sequence[str]
) -> dict[str, dict[str, float]]:
    """ARR up for renewal by quarter × colour (the account's colour now)."""
    grid = {q: {c: 0.0 for c in COLOURS} for q in periods}
    for when, value, colour in open_renewals:
        q = quarter_of(when)
        if q in grid:
            c = colour if colour in COLOURS else "unknown"
            grid[q][c] = round(grid[q][c] + value, 2)
    return grid


def median_ttv(days: Iterable[int]) -> float | None:
    values = list(days)
    return float(statistics.median(values)) if values else None


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
