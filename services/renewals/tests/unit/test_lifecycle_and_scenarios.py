"""The renewal lifecycle and forecast scenarios (pure)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from renewals.domain import forecast as fc
from renewals.domain import lifecycle as lc


def test_a_renewal_rolls_forward_and_a_churn_does_not() -> None:
    t = lc.next_term(contract_id="c1", end_date=date(2027, 1, 31), term_months=1, arr=10_000, arr_change=-2_500,
                     outcome="downgraded")  # fmt: skip
    assert t == lc.Term("c1@2027-01-31", date(2027, 1, 31), date(2027, 2, 28), 1, 7_500)
    assert lc.next_term(contract_id="c1", end_date=date(2027, 1, 31), term_months=12, arr=10_000, arr_change=-10_000,
                        outcome="churned") is None  # fmt: skip


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(1, 120))
def test_adding_months_lands_in_the_right_month_never_past_its_end(d: date, months: int) -> None:
    got = lc.add_months(d, months)
    assert (got.year * 12 + got.month) - (d.year * 12 + d.month) == months
    assert got.day == d.day or got.day < d.day  # clamped at the month's end only


def test_what_if_high_exposure_churns_more() -> None:
    base = fc.exposure_rates({"high": 0.2, "moderate": 0.1, "low": 0.05})
    up = [fc.Up("2027-Q1", "high", "green", 100_000), fc.Up("2027-Q1", "low", "red", 50_000),
          fc.Up("2027-Q2", "moderate", "yellow", 80_000), fc.Up("2027-Q2", "weird", "yellow", 10_000)]  # fmt: skip
    risk = fc.what_if(up, base, {"high": 0.3})
    assert [(p.period, p.arr, p.expected_churn_arr, p.scenario_churn_arr, p.arr_at_risk_delta) for p in risk] == [
        ("2027-Q1", 150_000, 22_500, 32_500, 10_000), ("2027-Q2", 90_000, 9_200, 9_200, 0),
    ]  # fmt: skip
    f = fc.forecast(up, base, basis="exposure")
    assert f.expected_churn_arr == 22_500 + 9_200
