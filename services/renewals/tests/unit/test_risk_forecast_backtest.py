"""Pure core: renewal risk, forecast, backtest AUC and books of business."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, strategies as st

from bellwether_shared.tiers import Tiers
from renewals.domain import attention as at, backtest as bt, books as bk, forecast as fc, risk


def test_window_is_the_tightest_of_90_60_30() -> None:
    assert [risk.window(d) for d in (120, 91, 90, 61, 60, 31, 30, 0, -5)] == [None, None, 90, 90, 60, 60, 30, 30, 30]


def test_red_health_close_to_renewal_is_at_risk_with_reasons_and_green_is_not() -> None:
    red = risk.assess(risk.Inputs(days_to_renewal=45, colour="red", score=31))
    assert red.at_risk and red.window == 60 and red.level == "medium"
    assert [r.factor for r in red.reasons] == ["health_red"] and "31" in red.reasons[0].text
    green = risk.assess(risk.Inputs(days_to_renewal=45, colour="green", score=82))
    assert not green.at_risk and green.level == "none" and green.reasons == ()
    far = risk.assess(risk.Inputs(days_to_renewal=200, colour="red", champion_departed=True))
    assert not far.at_risk and far.window is None and far.level == "high"  # risky, but outside the horizon


def test_each_factor_is_counted_and_capped() -> None:
    r = risk.assess(
        risk.Inputs(
            days_to_renewal=20,
            colour="yellow",
            score=55,
            trend=-18,
            champion_departed=True,
            exposure="high",
            discount_pct=40,
            missed_milestones=5,
            open_severe_tickets=1,
            deal_flags=("right_buyer", "severe_problem"),
        )
    )
    by = {x.factor: x.points for x in r.reasons}
    assert by == {
        "health_yellow": 15,
        "health_falling": 15,
        "champion_departed": 30,
        "exposure_high": 15,
        "deep_discount": 10,
        "milestones_missed": 20,
        "severe_tickets": 10,
        "deal_flags": 10,
    }
    assert r.points == sum(by.values()) and r.level == "high" and r.at_risk
    assert [x.points for x in r.reasons] == sorted((x.points for x in r.reasons), reverse=True)


def test_no_healthy_champion_and_a_low_severity_problem_in_an_exposed_industry() -> None:
    """The seeds' renewal-risk playbook: a nice-to-have problem with high exposure is cut first."""
    r = risk.assess(risk.Inputs(days_to_renewal=50, healthy_champions=0, exposure="high", problem_severity=2))
    by = {x.factor: x for x in r.reasons}
    assert by["no_healthy_champion"].points == 20 and by["low_severity_high_exposure"].points == 15
    assert "2/5 severe" in by["low_severity_high_exposure"].text and r.at_risk  # 20 + 15 + 15 = 50 ≥ 40
    fine = risk.assess(risk.Inputs(days_to_renewal=50, healthy_champions=2, exposure="high", problem_severity=5))
    assert {x.factor for x in fine.reasons} == {"exposure_high"}
    unknown = risk.assess(risk.Inputs(days_to_renewal=50, healthy_champions=None))
    assert unknown.reasons == ()  # never assessed is not "none"


def test_the_attention_queue_ranks_by_risk_arr_and_nearness_and_says_why() -> None:

    q = at.queue(
        [
            at.Candidate("big-safe", "Big", 500_000, 200, 0),
            at.Candidate(
                "mid-risky-soon", "Mid", 80_000, 20, 70, ["health is red (31)", "no healthy influential champion"]
            ),
            at.Candidate("small-risky-far", "Small", 10_000, 300, 80),
            at.Candidate("no-renewal", None, 50_000, None, 0),
        ]
    )
    assert [e.account_id for e in q][:2] == ["mid-risky-soon", "big-safe"]
    assert q[0].why == "renews in 20 days, 80,000 ARR, risk 70 (health is red (31), no healthy influential champion)"
    assert q[-1].why.startswith("no open renewal")


candidates = st.builds(
    lambda arr, days, pts: (arr, days, pts), st.floats(0, 1e7), st.none() | st.integers(-10, 800), st.floats(0, 200)
)


@given(candidates, st.floats(0, 1e6), st.integers(0, 400), st.floats(0, 100))
def test_more_risk_more_arr_or_a_nearer_renewal_never_lower_priority(
    c: tuple[float, int | None, float], more_arr: float, sooner: int, more_risk: float
) -> None:

    arr, days, pts = c
    base = at.priority(at.Candidate("a", None, arr, days, pts))
    assert at.priority(at.Candidate("a", None, arr + more_arr, days, pts)) >= base
    assert at.priority(at.Candidate("a", None, arr, days, pts + more_risk)) >= base
    nearer = None if days is None else days - sooner
    if days is not None:
        assert at.priority(at.Candidate("a", None, arr, nearer, pts)) >= base


inputs = st.builds(
    risk.Inputs,
    days_to_renewal=st.integers(-30, 400),
    colour=st.sampled_from([None, "red", "yellow", "green", "unknown"]),
    score=st.none() | st.floats(0, 100),
    trend=st.none() | st.floats(-100, 100),
    champion_departed=st.booleans(),
    exposure=st.sampled_from([None, "high", "moderate", "low"]),
    discount_pct=st.none() | st.floats(0, 100),
    missed_milestones=st.integers(0, 10),
    open_severe_tickets=st.integers(0, 10),
    deal_flags=st.lists(st.sampled_from(["severe_problem", "right_buyer", "value_priced"]), unique=True).map(tuple),
    healthy_champions=st.none() | st.integers(0, 5),
    problem_severity=st.none() | st.integers(1, 5),
)


@given(inputs)
def test_adding_a_risk_factor_never_lowers_risk(i: risk.Inputs) -> None:
    base = risk.assess(i)
    for worse in (
        replace(i, champion_departed=True),
        replace(i, missed_milestones=i.missed_milestones + 1),
        replace(i, open_severe_tickets=i.open_severe_tickets + 1),
        replace(i, exposure="high"),
        replace(i, colour="red"),
        replace(i, days_to_renewal=min(i.days_to_renewal, 30)),
        replace(i, healthy_champions=0),
        replace(i, problem_severity=min(i.problem_severity or 5, 2)),
    ):
        w = risk.assess(worse)
        assert w.points >= base.points
        assert w.at_risk or not base.at_risk
    assert base.points == sum(r.points for r in base.reasons) >= 0


def test_forecast_sums_and_expected_churn() -> None:
    rates = fc.rates({"red": 0.5, "yellow": 0.2, "green": 0.1, "unknown": 0.3}, {}, min_samples=10)
    up = [
        fc.Up("2027-Q1", "high", "red", 100),
        fc.Up("2027-Q1", "high", "red", 50),
        fc.Up("2027-Q2", "low", "green", 200),
    ]
    f = fc.forecast(up, rates)
    assert f.total_arr == 350 and f.expected_churn_arr == 75 + 20
    assert [(c.period, c.contracts, c.arr) for c in f.cells] == [("2027-Q1", 2, 150), ("2027-Q2", 1, 200)]
    assert all(r.source == "configured" for r in rates.values())


def test_rates_are_learned_per_colour_once_there_are_enough_outcomes() -> None:
    r = fc.rates({"red": 0.5}, {"red": fc.Outcomes(40, 10), "green": fc.Outcomes(3, 0)}, min_samples=30)
    assert (r["red"].rate, r["red"].source, r["red"].samples) == (0.25, "learned", 40)
    assert r["green"].source == "configured" and r["green"].samples == 3


def test_auc_of_known_rankings() -> None:
    assert bt.roc_auc([90, 80, 30, 20], [False, False, True, True]) == 1.0
    assert bt.roc_auc([20, 30, 80, 90], [False, False, True, True]) == 0.0
    assert bt.roc_auc([50, 50, 50, 50], [False, True, False, True]) == 0.5
    # one churned account (70) outranks one of three renewed ones (60): 8 of 9 pairs right
    assert bt.roc_auc([90, 80, 60, 70, 30, 20], [False, False, False, True, True, True]) == pytest.approx(8 / 9)
    assert bt.roc_auc([1, 2], [False, False]) is None


@given(st.lists(st.tuples(st.integers(0, 100), st.booleans()), min_size=2, max_size=60))
def test_auc_equals_the_pairwise_definition(pairs: list[tuple[int, bool]]) -> None:
    scores, churned = [p[0] for p in pairs], [p[1] for p in pairs]
    renewed_s = [s for s, c in pairs if not c]
    churned_s = [s for s, c in pairs if c]
    auc = bt.roc_auc(scores, churned)
    if not renewed_s or not churned_s:
        assert auc is None
        return
    wins = sum((r > c) + 0.5 * (r == c) for r in renewed_s for c in churned_s)
    assert auc == pytest.approx(wins / (len(renewed_s) * len(churned_s)))


@given(
    st.lists(st.tuples(st.integers(0, 20), st.sampled_from(["red", "green"]), st.booleans()), min_size=1, max_size=80)
)
def test_grouped_counts_give_exactly_the_per_renewal_result(rows: list[tuple[int, str, bool]]) -> None:
    samples = [bt.Sample(float(s), c, churned) for s, c, churned in rows]
    counts: dict[tuple[float, str], list[int]] = {}
    for s in samples:
        counts.setdefault((s.score, s.colour), [0, 0])[1 if s.churned else 0] += 1
    tallies = [bt.Tally(score, colour, n[0], n[1]) for (score, colour), n in counts.items()]
    assert bt.evaluate_tallies(tallies) == bt.evaluate(samples)


def test_backtest_churn_rate_and_lift_by_colour() -> None:
    samples = [bt.Sample(10 + i, "red", i < 6) for i in range(10)]  # the 6 lowest reds churned
    samples += [bt.Sample(60 + i, "green", i < 1) for i in range(10)]  # the lowest green churned
    r = bt.evaluate(samples)
    assert r.churn_rate == 0.35 and r.by_colour["red"].churn_rate == 0.6
    assert r.by_colour["red"].lift == pytest.approx(0.6 / 0.35, abs=1e-3)
    # 13 renewed x 7 churned pairs; only the 4 renewed reds (16-19) rank below the churned green (60)
    assert r.auc == pytest.approx(87 / 91, abs=1e-4)


def test_books_utilisation_over_capacity_and_rejected_deals_still_count_as_work() -> None:
    holdings = [bk.Holding("ana", f"s{i}", "strategic", 100.0) for i in range(10)]
    holdings += [bk.Holding("ana", f"m{i}", "mid", 10.0) for i in range(20)]
    holdings += [bk.Holding("bo", f"x{i}", "scale", 1.0) for i in range(50)]
    holdings += [bk.Holding("bo", "bad", "scale", 5.0, rejected_deal=True)]
    books = {b.owner_id: b for b in bk.books(holdings, Tiers().capacity())}
    assert books["ana"].utilisation == pytest.approx(10 / 15 + 20 / 40, abs=1e-3) and books["ana"].over_capacity
    assert books["ana"].accounts == 30 and books["ana"].arr == 1200
    assert books["bo"].utilisation == pytest.approx(51 / 200) and not books["bo"].over_capacity
    assert books["bo"].rejected_accounts == 1 and books["bo"].accounts == 51  # work, out of retention figures


def test_a_book_is_measured_by_the_touches_its_accounts_were_promised_not_their_count_alone() -> None:
    """domain.md: segment by the experience an account needs. 21 mid-tier accounts are half a book by
    count; made high touch by their growth potential, their promised touches are more than a CSM has."""
    pooled = [bk.Holding("ana", f"m{i}", "mid", 10.0) for i in range(21)]
    growing = [bk.Holding("bo", f"g{i}", "mid", 10.0, growth="high") for i in range(21)]
    books = {b.owner_id: b for b in bk.books(pooled + growing, Tiers().capacity())}
    assert books["ana"].utilisation == books["bo"].utilisation == pytest.approx(21 / 40, abs=1e-3)
    one_to_many = 3.0 + 365 / 90 * 0.5 + 365 / 91 * 1.0  # a yearly review, check-ins, quarterly value reviews
    assert books["ana"].touch_hours == pytest.approx(21 * one_to_many, abs=0.1)
    assert not books["ana"].over_capacity and books["ana"].touch_utilisation < 0.35
    high_touch = 365 / 91 * 3 + 365 / 14 * 0.5 + 365 / 182 * 2 + 365 / 30 * 1.0  # monthly value reviews
    assert books["bo"].touch_hours == pytest.approx(21 * high_touch, abs=0.1)
    assert books["bo"].touch_utilisation > 1.0 and books["bo"].over_capacity
    self_served = bk.books([bk.Holding("cy", "s", "mid", 10.0, preference="self_service")], Tiers().capacity())
    assert self_served[0].touch_hours == 0.0


def test_the_attention_queue_says_which_promised_touches_are_owed() -> None:
    owed = at.Candidate("a", "Acme", 50_000, 200, 0, (), "green", ("business review 9 days overdue",))
    clear = at.Candidate("b", "Beta", 50_000, 200, 0, (), "green")
    by_id = {e.account_id: e for e in at.queue([owed, clear])}
    assert by_id["a"].why == "renews in 200 days, 50,000 ARR, risk 0; owed: business review 9 days overdue"
    assert by_id["a"].touches_overdue == ("business review 9 days overdue",) and by_id["b"].touches_overdue == ()
    assert by_id["a"].priority == by_id["b"].priority  # visible, not a risk: the ranking stays risk, ARR, date


def test_the_last_value_review_counts_missed_and_partly_met_value_and_nothing_else() -> None:
    held = date(2026, 11, 30)
    points = {
        outcome: risk.assess(risk.Inputs(days_to_renewal=60, value_review=(outcome, held))).points
        for outcome in ("exceeded", "met", "partially_met", "missed")
    }
    assert points == {"exceeded": 0, "met": 0, "partially_met": 10, "missed": 20}
    assert risk.assess(risk.Inputs(days_to_renewal=60)).points == 0  # no review held: no reason, not a bad one


def test_a_colour_computed_without_usage_is_no_risk_factor() -> None:
    """Go-live: health scored the account before any usage was data; its colour says nothing yet."""
    no_usage = risk.assess(risk.Inputs(days_to_renewal=45, colour="red", score=20, usage_data=False))
    assert no_usage.reasons == () and not no_usage.at_risk
    with_usage = risk.assess(risk.Inputs(days_to_renewal=45, colour="red", score=20, usage_data=True))
    assert [r.factor for r in with_usage.reasons] == ["health_red"] and with_usage.at_risk


def test_risk_is_raised_from_the_moment_the_renewal_opens_not_only_inside_90_days() -> None:
    """domain.md: risk seen at 120 days is raised at 120 days (no 90-day scramble)."""
    early = risk.assess(risk.Inputs(days_to_renewal=115, colour="red", score=20, champion_departed=True))
    assert early.at_risk and early.window is None  # at risk, before any 90/60/30 window
    beyond = risk.assess(risk.Inputs(days_to_renewal=121, colour="red", score=20, champion_departed=True))
    assert not beyond.at_risk
    custom = risk.assess(risk.Inputs(days_to_renewal=150, colour="red", score=20, horizon_days=180))
    assert custom.at_risk


@given(inputs, st.one_of(st.none(), st.integers(0, 200)))
def test_escalation_is_at_risk_within_the_tiers_days_and_announced_once(i: risk.Inputs, days: int | None) -> None:
    a = risk.assess(replace(i, escalate_within_days=days))
    assert a.escalate == (a.at_risk and days is not None and i.days_to_renewal <= days)
    first = risk.announce(was_at_risk=a.at_risk, last_window=a.window, now=a, was_escalated=False)
    again = risk.announce(was_at_risk=a.at_risk, last_window=a.window, now=a, was_escalated=True)
    assert first.escalated == a.escalate and not again.escalated


def test_one_tier_vocabulary_with_aliases_and_a_default() -> None:
    from bellwether_shared.tiers import TierPolicy, Tiers

    tiers = Tiers()
    assert tiers.name("Enterprise") == "strategic" and tiers.name("SCALE") == "scale" and tiers.name("gold") is None
    assert tiers.policy("gold") == tiers.policy("mid") == tiers.policy(None)
    assert tiers.policy("strategic").renewal_task == "always" and tiers.policy("scale").renewal_task == "at_risk"
    assert tiers.capacity() == {"strategic": 15, "mid": 40, "scale": 200}
    assert tiers.champion_targets() == {"strategic": 3, "mid": 2, "scale": 1}
    own = Tiers(
        policies={"gold": TierPolicy(book_capacity=10, champion_target=2, renewal_task="always")},
        aliases={},
        default="gold",
    )
    assert own.policy("anything").book_capacity == 10
    with pytest.raises(ValueError, match="default"):
        Tiers(policies={"gold": own.policies["gold"]}, aliases={}, default="silver")
    with pytest.raises(ValueError, match=r"aliases\.vip"):
        Tiers(policies={"gold": own.policies["gold"]}, aliases={"vip": "platinum"}, default="gold")


def test_late_closes_and_late_risk_are_failures_per_owner() -> None:
    from datetime import UTC, date, datetime

    from renewals.domain import timeliness as tl

    today = date(2026, 12, 7)

    def at(d: date) -> datetime:
        return datetime(d.year, d.month, d.day, 12, tzinfo=UTC)

    renewals = [
        tl.Renewal("on-time", "a1", "ana", date(2026, 11, 1), at(date(2026, 10, 20)), at(date(2026, 8, 1))),
        tl.Renewal("late", "a2", "ana", date(2026, 11, 1), at(date(2026, 11, 9)), None),
        tl.Renewal("late-risk", "a3", "bo", date(2026, 11, 30), at(date(2026, 11, 20)), at(date(2026, 11, 10))),
        tl.Renewal("open-past", "a4", "bo", date(2026, 12, 1), None, None),
        tl.Renewal("future", "a5", "bo", date(2027, 1, 1), None, at(date(2026, 12, 20))),
    ]
    owners = {o.owner_id: o for o in tl.by_owner(renewals, today=today)}
    assert (owners["ana"].due, owners["ana"].closed_late, owners["ana"].late_risk) == (2, 1, 0)
    assert (owners["bo"].due, owners["bo"].closed_late, owners["bo"].late_risk) == (2, 1, 1)
    failed = {f["opportunity_id"]: f for o in owners.values() for f in o.failures}
    assert set(failed) == {"late", "late-risk", "open-past"}
    assert failed["late"]["days_late"] == 8 and failed["late-risk"]["risk_days_before"] == 20
    assert failed["open-past"]["days_late"] == 6 and failed["open-past"]["closed"] is False
    assert tl.judge(renewals[2], today=today, last_days=15).late_risk is False  # 20 days before: not late then


def test_books_flag_accounts_whose_renewal_and_expansion_owners_differ() -> None:
    holdings = [
        bk.Holding("cara", "one-person", "mid", 10_000, renewal_owner="cara", expansion_owners=("cara",)),
        bk.Holding("cara", "two-people", "mid", 10_000, renewal_owner="cara", expansion_owners=("abe",)),
        bk.Holding("cara", "no-expansion", "mid", 10_000, renewal_owner="cara"),
    ]
    (book,) = bk.books(holdings, Tiers().capacity())
    assert book.split_accounts == ["two-people"]
