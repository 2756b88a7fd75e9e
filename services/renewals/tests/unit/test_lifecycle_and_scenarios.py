"""The renewal lifecycle and forecast scenarios (pure)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, strategies as st

from renewals.domain import forecast as fc, lifecycle as lc


def test_a_renewal_rolls_forward_and_a_churn_does_not() -> None:
    t = lc.next_term(
        contract_id="c1", end_date=date(2027, 1, 31), term_months=1, arr=10_000, arr_change=-2_500, outcome="downgraded"
    )
    assert t == lc.Term("c1@2027-01-31", date(2027, 1, 31), date(2027, 2, 28), 1, 7_500)
    assert (
        lc.next_term(
            contract_id="c1",
            end_date=date(2027, 1, 31),
            term_months=12,
            arr=10_000,
            arr_change=-10_000,
            outcome="churned",
        )
        is None
    )


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(1, 120))
def test_adding_months_lands_in_the_right_month_never_past_its_end(d: date, months: int) -> None:
    got = lc.add_months(d, months)
    assert (got.year * 12 + got.month) - (d.year * 12 + d.month) == months
    assert got.day == d.day or got.day < d.day  # clamped at the month's end only


def test_what_if_high_exposure_churns_more() -> None:
    base = fc.exposure_rates({"high": 0.2, "moderate": 0.1, "low": 0.05})
    up = [
        fc.Up("2027-Q1", "high", "green", 100_000),
        fc.Up("2027-Q1", "low", "red", 50_000),
        fc.Up("2027-Q2", "moderate", "yellow", 80_000),
        fc.Up("2027-Q2", "weird", "yellow", 10_000),
    ]
    risk = fc.what_if(up, base, {"high": 0.3})
    assert [(p.period, p.arr, p.expected_churn_arr, p.scenario_churn_arr, p.arr_at_risk_delta) for p in risk] == [
        ("2027-Q1", 150_000, 22_500, 32_500, 10_000),
        ("2027-Q2", 90_000, 9_200, 9_200, 0),
    ]
    f = fc.forecast(up, base, basis="exposure")
    assert f.expected_churn_arr == 22_500 + 9_200


def test_each_term_carries_its_own_list_price_and_discount() -> None:
    """A renewal concession at the same list price is the deeper discount it is (it used to copy the old)."""
    from datetime import date

    from renewals.domain import lifecycle as lc

    kept = lc.next_term(
        contract_id="c",
        end_date=date(2027, 1, 1),
        term_months=12,
        arr=60_000,
        arr_change=-20_000,
        outcome="downgraded",
        list_price=60_000,
    )
    assert kept is not None and kept.list_price == 60_000 and round(kept.discount_pct or 0, 2) == 33.33
    repriced = lc.next_term(
        contract_id="c",
        end_date=date(2027, 1, 1),
        term_months=12,
        arr=60_000,
        arr_change=0,
        outcome="renewed",
        list_price=60_000,
        new_list_price=75_000,
    )
    assert repriced is not None and repriced.list_price == 75_000 and round(repriced.discount_pct or 0, 6) == 20.0
    unpriced = lc.next_term(
        contract_id="c", end_date=date(2027, 1, 1), term_months=12, arr=10, arr_change=0, outcome="renewed"
    )
    assert unpriced is not None and (unpriced.list_price, unpriced.discount_pct) == (None, None)


def test_a_temporary_discount_ending_is_a_renewal_risk_reason() -> None:
    from datetime import date

    from renewals.domain import risk

    r = risk.assess(risk.Inputs(days_to_renewal=60, temporary_discount=("first-year ramp", date(2027, 1, 31))))
    (reason,) = r.reasons
    assert reason.factor == "discount_ending" and "'first-year ramp' ends on 2027-01-31" in reason.text
