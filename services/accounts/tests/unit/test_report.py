"""The executive report's figures: quarters, retention (GRR never above NRR, neither negative), ARR by
colour (every account counted once at each date), the forecast grid and the tiles."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, strategies as st

from accounts.domain import report as rp


def test_quarters_and_their_bounds() -> None:
    assert rp.quarter_bounds("2026-Q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert rp.quarter_bounds("2027-Q1") == (date(2027, 1, 1), date(2027, 4, 1))
    assert rp.quarters("2026-Q1", back=2, ahead=1) == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    for bad in ("2026-Q5", "2026Q1", "x-Q1", "2026-Q", "0000-Q1", "9999-Q4"):
        with pytest.raises(ValueError, match="period"):
            rp.quarter_bounds(bad)
    for out_of_range in ("0001-Q1", "1900-Q4", "9999-Q1"):
        with pytest.raises(ValueError, match="period: the year"):
            rp.check_period(out_of_range)


@given(st.integers(1901, 9998), st.integers(1, 4))
def test_every_period_the_report_accepts_has_dates_for_the_quarters_around_it(year: int, q: int) -> None:
    period = rp.check_period(f"{year}-Q{q}")
    around = rp.quarters(period, back=3, ahead=3)
    assert len(around) == 7 and around[3] == period
    assert rp.quarter_bounds(around[0])[0] < rp.quarter_bounds(around[-1])[1]


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31)))
def test_every_day_falls_inside_its_quarters_bounds(d: date) -> None:
    start, end = rp.quarter_bounds(rp.quarter_of(d))
    assert start <= d < end and (end - start).days in (90, 91, 92)


def o(arr: float, change: float, outcome: str, **kw: object) -> rp.Outcome:
    return rp.Outcome("a", date(2026, 11, 1), arr, change, outcome, **kw)  # type: ignore[arg-type]


def test_retention_counts_churn_contraction_and_expansion() -> None:
    r = rp.retention([o(100, 20, "expanded"), o(50, -50, "churned"), o(40, -10, "downgraded"), o(30, 0, "renewed")])
    assert (r.renewals, r.starting_arr, r.churned_arr, r.contraction_arr, r.expansion_arr) == (4, 220, 50, 10, 20)
    assert r.grr == round(160 / 220, 4) and r.nrr == round(180 / 220, 4)
    assert rp.retention([]).grr is None


def test_the_csm_view_leaves_out_deals_cs_rejected_but_the_tier_view_keeps_them() -> None:
    rows = [
        o(100, 0, "renewed", csm="cara", tier="mid"),
        o(50, -50, "churned", csm="cara", tier="mid", deal_rejected=True),
        o(10, 0, "renewed", tier="mid"),
    ]
    by_csm = rp.retention_by(rows, lambda x: x.csm, skip=lambda x: x.deal_rejected)
    assert set(by_csm) == {"cara", "unassigned"} and by_csm["cara"].grr == 1.0
    assert rp.retention_by(rows, lambda x: x.tier)["mid"].grr == round(110 / 160, 4)


outcomes = st.builds(
    lambda arr, frac, kind: o(arr, -arr, "churned") if kind == "churned" else o(arr, round(arr * frac, 2), "changed"),
    st.floats(0, 1e7, allow_nan=False),
    st.floats(-1, 2, allow_nan=False),
    st.sampled_from(["churned", "changed"]),
)


@given(st.lists(outcomes, max_size=30))
def test_grr_is_between_zero_and_one_and_never_above_nrr(rows: list[rp.Outcome]) -> None:
    r = rp.retention(rows)
    if r.grr is None:
        assert r.starting_arr == 0
        return
    assert r.nrr is not None
    assert -1e-4 <= r.grr <= 1 + 1e-4 and r.grr <= r.nrr + 1e-4


def test_retention_report_groups_by_quarter_and_keeps_only_the_period_for_groups() -> None:
    rows = [
        rp.Outcome("a", date(2026, 11, 1), 100, 0, "renewed", tier="mid"),
        rp.Outcome("b", date(2026, 5, 1), 50, -50, "churned", tier="mid"),
        rp.Outcome("c", date(2025, 5, 1), 50, -50, "churned", tier="mid"),
    ]
    rep = rp.retention_report(rows, "2026-Q4", back=3)
    assert list(rep["by_quarter"]) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]  # type: ignore[call-overload]
    assert rep["by_quarter"]["2026-Q2"].grr == 0  # type: ignore[index]
    assert rep["by_tier"]["mid"].renewals == 1  # type: ignore[index]


def test_month_ends_run_up_to_the_day() -> None:
    assert rp.month_ends(date(2026, 3, 15), 4) == [
        date(2025, 12, 31),
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 15),
    ]


@given(
    st.dictionaries(st.sampled_from("abcdef"), st.floats(0, 1e6, allow_nan=False), max_size=6),
    st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 400), st.sampled_from(rp.COLOURS[:3])), max_size=20),
)
def test_arr_by_colour_counts_every_account_once_at_every_date(arr: dict[str, float], changes: list) -> None:  # type: ignore[type-arg]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    history: dict[str, list[tuple[datetime, str]]] = {}
    for account, day, colour in sorted(changes, key=lambda c: c[1]):
        history.setdefault(account, []).append((base.fromordinal(base.toordinal() + day).replace(tzinfo=UTC), colour))
    rows = rp.arr_by_colour(arr, history, rp.month_ends(date(2027, 1, 31), 13))
    for row in rows:
        assert sum(float(row[c]) for c in rp.COLOURS) == pytest.approx(sum(arr.values()), abs=0.1)
        d = date.fromisoformat(str(row["date"]))
        unscored = sum(v for a, v in arr.items() if not any(t.date() <= d for t, _ in history.get(a, ())))
        assert float(row["unknown"]) == pytest.approx(unscored, abs=0.1)


def test_forecast_puts_each_renewal_in_its_quarter_and_colour() -> None:
    grid = rp.forecast(
        [(date(2026, 11, 1), 10, "red"), (date(2027, 2, 1), 5, None), (date(2030, 1, 1), 7, "red")],
        ["2026-Q4", "2027-Q1"],
    )
    assert grid["2026-Q4"]["red"] == 10 and grid["2027-Q1"]["unknown"] == 5
    assert sum(sum(q.values()) for q in grid.values()) == 15


def test_tiles() -> None:
    assert rp.median_ttv([30, 12, 20]) == 20 and rp.median_ttv([]) is None
    assert rp.share(1, 2) == 0.5 and rp.share(0, 0) is None
