"""Invariants of the scoring core (hypothesis) and worked examples."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import assume, given, strategies as st

from health.domain import champions as ch
from health.domain.model import (
    AccountFacts,
    Colour,
    MeasureSpec,
    MeasureType,
    ScalePoint,
    Scorecard,
    Thresholds,
)
from health.domain.observation import usage_observed_from
from health.domain.scoring import ScaleError, check_scale, evaluate, meaningful, reasons, scale, trend

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
TODAY = NOW.date()
RISING = (ScalePoint(0, 0), ScalePoint(0.5, 60), ScalePoint(1, 100))


def card(*measures: MeasureSpec, **kw: object) -> Scorecard:
    return Scorecard("sc", 1, "test", tuple(measures), **kw)  # type: ignore[arg-type]


def m(key: str, t: MeasureType, weight: float = 1.0, points=RISING, **params: object) -> MeasureSpec:  # type: ignore[no-untyped-def]
    return MeasureSpec(key, t, weight, tuple(points), params)


def users(n: int, days_ago: int = 1) -> dict[date, frozenset[str]]:
    return {TODAY - timedelta(days=days_ago): frozenset(f"u{i}" for i in range(n))}


def test_a_measure_without_data_is_left_out_and_the_rest_reweighted() -> None:
    sc = card(
        m("users", MeasureType.ACTIVE_USERS, 3),
        m("nps", MeasureType.NPS, 1, points=(ScalePoint(-100, 0), ScalePoint(100, 100))),
        min_measures=1,
    )
    facts = AccountFacts("a", seats=10, daily_users=users(10))
    score = evaluate(sc, facts, NOW)
    assert score.value == 100.0  # not 75: NPS has no answers, so it does not count as zero
    nps = next(r for r in score.measures if r.key == "nps")
    assert (nps.raw, nps.score, nps.contribution) == (None, None, 0.0)


def test_too_little_data_says_so() -> None:
    sc = card(m("users", MeasureType.ACTIVE_USERS), m("nps", MeasureType.NPS), m("goals", MeasureType.GOAL_ATTAINMENT))
    score = evaluate(sc, AccountFacts("a", seats=10, daily_users=users(2)), NOW)
    assert not score.sufficient and score.colour is Colour.UNKNOWN


def test_colours_follow_thresholds() -> None:
    sc = card(m("users", MeasureType.ACTIVE_USERS), min_measures=1, thresholds=Thresholds(40, 70))
    assert evaluate(sc, AccountFacts("a", seats=10, daily_users=users(10)), NOW).colour is Colour.GREEN
    assert evaluate(sc, AccountFacts("a", seats=10, daily_users=users(5)), NOW).colour is Colour.YELLOW
    assert evaluate(sc, AccountFacts("a", seats=10, daily_users=users(1)), NOW).colour is Colour.RED


def test_usage_outside_the_window_decays_the_score_without_new_events() -> None:
    sc = card(m("users", MeasureType.ACTIVE_USERS, window_days=7), min_measures=1)
    facts = AccountFacts("a", seats=4, daily_users=users(4, days_ago=2))
    assert evaluate(sc, facts, NOW).value == 100.0
    assert evaluate(sc, facts, NOW + timedelta(days=10)).value == 0.0


def test_champion_departure_and_reasons_explain_the_drop() -> None:
    sc = card(
        m("users", MeasureType.ACTIVE_USERS),
        m("champion", MeasureType.CHAMPION, points=(ScalePoint(0, 0), ScalePoint(100, 100))),
        min_measures=1,
    )
    vp = ch.ContactFacts(
        "c1",
        title="VP Operations",
        seniority="vp",
        is_champion=True,
        linked=True,
        active_days=12,
        nps=10,
        changed_at=NOW - timedelta(days=20),
    )

    def facts(*contacts: ch.ContactFacts) -> AccountFacts:
        assessed = tuple(ch.assess(c, now=NOW) for c in contacts)
        cov = ch.coverage(contacts, assessed, target=1, now=NOW)
        return AccountFacts("a", seats=10, daily_users=users(10), champions=assessed, coverage=cov)

    before = evaluate(sc, facts(vp), NOW)
    after = evaluate(sc, facts(replace(vp, departed=True, changed_at=NOW - timedelta(days=1))), NOW)
    assert (before.value, after.value) == (100.0, 50.0)
    why = reasons(before, after)
    assert why[0].key == "champion" and why[0].delta == -50.0 and "100 → 0" in why[0].text
    assert "0 of 1 healthy influential champion; left recently: the VP Operations" in why[0].text
    assert meaningful(before, after, min_delta=5)
    assert not meaningful(after, after, min_delta=5)
    # 91 days later the departure is history: no penalty, the coverage says the rest
    later = evaluate(sc, facts(replace(vp, departed=True, changed_at=NOW - timedelta(days=91))), NOW)
    assert next(x for x in later.measures if x.key == "champion").raw == 0.0


def test_onboarding_without_confirmation_is_left_out_unless_late() -> None:
    sc = card(m("users", MeasureType.ACTIVE_USERS), m("onboarding", MeasureType.ONBOARDING), min_measures=1)
    imported = evaluate(sc, AccountFacts("a", seats=10, daily_users=users(10)), NOW)
    assert next(x for x in imported.measures if x.key == "onboarding").raw is None and imported.value == 100.0
    fresh = AccountFacts("a", seats=10, daily_users=users(10), onboarding_started_at=NOW.date() - timedelta(days=20))
    assert next(x for x in evaluate(sc, fresh, NOW).measures if x.key == "onboarding").raw is None
    late = replace(fresh, onboarding_started_at=NOW.date() - timedelta(days=75))
    scored = next(x for x in evaluate(sc, late, NOW).measures if x.key == "onboarding")
    assert scored.raw == 0.0 and scored.detail == "not confirmed 75 days after kickoff"
    done = replace(late, onboarding=frozenset({"technical"}))
    assert next(x for x in evaluate(sc, done, NOW).measures if x.key == "onboarding").raw == 50.0


def test_trend_over_a_window() -> None:
    hist = [(NOW - timedelta(days=40), 80.0), (NOW - timedelta(days=20), 70.0), (NOW - timedelta(days=1), 50.0)]
    assert trend(hist, NOW, 30) == {"window_days": 30, "delta": -30.0, "direction": "down"}
    assert trend(hist, NOW, 7)["delta"] == -20.0
    assert trend([], NOW, 7)["direction"] == "unknown"


def test_scales_must_be_monotone_and_bounded() -> None:
    check_scale(RISING)
    check_scale((ScalePoint(0, 100), ScalePoint(10, 0)))
    for bad in (
        (ScalePoint(0, 0),),
        (ScalePoint(0, 0), ScalePoint(0, 1)),
        (ScalePoint(0, 0), ScalePoint(1, 120)),
        (ScalePoint(0, 0), ScalePoint(1, 80), ScalePoint(2, 10)),
    ):
        with pytest.raises(ScaleError):
            check_scale(bad)


# ----------------------------------------------------------------------------- properties

scores = st.floats(0, 100, allow_nan=False)


@st.composite
def scales(draw: st.DrawFn) -> tuple[ScalePoint, ...]:
    raws = sorted(set(draw(st.lists(st.floats(-1000, 1000, allow_nan=False), min_size=2, max_size=5))))
    assume(len(raws) >= 2)
    values = sorted(draw(st.lists(scores, min_size=len(raws), max_size=len(raws))))
    if draw(st.booleans()):
        values.reverse()
    return tuple(ScalePoint(r, v) for r, v in zip(raws, values, strict=True))


@given(scales(), st.floats(-2000, 2000, allow_nan=False), st.floats(0, 500, allow_nan=False))
def test_raising_a_raw_value_in_its_good_direction_never_lowers_its_score(pts, raw, step) -> None:  # type: ignore[no-untyped-def]
    rising = pts[-1].score >= pts[0].score
    better = raw + step if rising else raw - step
    assert scale(pts, better) >= scale(pts, raw) - 1e-9
    assert 0 <= scale(pts, raw) <= 100


FACT_MEASURES = [
    m("users", MeasureType.ACTIVE_USERS),
    m("onb", MeasureType.ONBOARDING, points=(ScalePoint(0, 0), ScalePoint(100, 100))),
    m("goals", MeasureType.GOAL_ATTAINMENT, points=(ScalePoint(0, 0), ScalePoint(100, 100))),
    m("exp", MeasureType.EXPOSURE, points=(ScalePoint(0, 100), ScalePoint(2, 20))),
]


@given(
    weights=st.lists(st.floats(0.1, 10), min_size=4, max_size=4),
    seats=st.one_of(st.none(), st.integers(1, 50)),
    active=st.integers(0, 60),
    onboarding=st.sets(st.sampled_from(["technical", "process"])),
    goals=st.lists(st.sampled_from(["met", "exceeded", "missed", "partially_met", "in_progress"]), max_size=4),
    exposure=st.sampled_from([None, "low", "moderate", "high"]),
    factor=st.floats(0.1, 10),
)
def test_score_is_bounded_and_weights_normalise(weights, seats, active, onboarding, goals, exposure, factor) -> None:  # type: ignore[no-untyped-def]
    measures = tuple(replace(spec, weight=w) for spec, w in zip(FACT_MEASURES, weights, strict=True))
    facts = AccountFacts(
        "a",
        seats=seats,
        daily_users=users(active),
        onboarding=frozenset(onboarding),
        goals=tuple(goals),
        exposure=exposure,
    )
    score = evaluate(card(*measures), facts, NOW)
    assert 0 <= score.value <= 100
    assert abs(sum(r.contribution for r in score.measures) - score.value) < 0.02
    scaled = evaluate(card(*(replace(s, weight=s.weight * factor) for s in measures)), facts, NOW)
    assert abs(scaled.value - score.value) < 0.02  # only relative weights matter


@given(st.integers(0, 40), st.integers(0, 40), st.integers(1, 40))
def test_more_active_users_never_lower_the_score(a: int, extra: int, seats: int) -> None:
    sc = card(*FACT_MEASURES)
    base = AccountFacts("a", seats=seats, daily_users=users(a), onboarding=frozenset({"technical"}))
    more = replace(base, daily_users=users(a + extra))
    assert evaluate(sc, more, NOW).value >= evaluate(sc, base, NOW).value


# ----------------------------------------------------------------------------- go-live: missing usage is no data


def test_an_account_connected_today_has_no_usage_data_not_zero_users() -> None:
    """The CRM connected a happy customer (promoter NPS) before the product's usage arrived: its score
    rests on the NPS alone, and says usage did not count; once its grace period passes with no usage,
    the silence is data (zero active users)."""
    sc = card(
        m("users", MeasureType.ACTIVE_USERS, 3),
        m("trend", MeasureType.USAGE_TREND, 1, points=(ScalePoint(-50, 0), ScalePoint(50, 100))),
        m("nps", MeasureType.NPS, 1, points=(ScalePoint(-100, 0), ScalePoint(100, 100))),
        min_measures=1,
        min_weight_share=0.0,
    )
    promoter = {"c1": (TODAY, 10)}
    seen_today = usage_observed_from(first_usage=None, first_seen=TODAY, started=None, grace_days=14)
    fresh = evaluate(sc, AccountFacts("a", seats=10, nps=promoter, usage_observed_from=seen_today), NOW)
    assert fresh.value == 100.0 and fresh.colour is Colour.GREEN
    assert not fresh.usage_data
    assert [r.raw for r in fresh.measures if r.key in ("users", "trend")] == [None, None]

    seen_long_ago = usage_observed_from(
        first_usage=None, first_seen=TODAY - timedelta(days=15), started=None, grace_days=14
    )
    silent = evaluate(sc, AccountFacts("a", seats=10, nps=promoter, usage_observed_from=seen_long_ago), NOW)
    assert silent.usage_data and next(r for r in silent.measures if r.key == "users").raw == 0.0
    assert silent.colour is not Colour.GREEN


def test_usage_counts_from_its_first_day_and_a_trend_needs_the_window_before() -> None:
    sc = card(
        m("users", MeasureType.ACTIVE_USERS, 1),
        m("trend", MeasureType.USAGE_TREND, 1, points=(ScalePoint(-50, 0), ScalePoint(50, 100))),
        min_measures=1,
    )
    first_day = TODAY - timedelta(days=3)
    observed = usage_observed_from(first_usage=first_day, first_seen=TODAY, started=None, grace_days=14)
    assert observed == first_day
    events = {(first_day, "Report Exported"): 5}
    facts = AccountFacts(
        "a", seats=4, daily_users=users(2, days_ago=3), daily_events=events, usage_observed_from=observed
    )
    score = evaluate(sc, facts, NOW)
    by_key = {r.key: r.raw for r in score.measures}
    assert by_key == {"users": 0.5, "trend": None}  # growth from before the first usage is no trend
    old = replace(facts, usage_observed_from=TODAY - timedelta(days=90))
    assert {r.key: r.raw for r in evaluate(sc, old, NOW).measures}["trend"] == 100.0


@given(
    st.one_of(st.none(), st.dates()),
    st.one_of(st.none(), st.dates()),
    st.one_of(st.none(), st.dates()),
    st.integers(0, 365),
)
def test_usage_is_data_no_later_than_the_first_usage_nor_the_grace_end(first_usage, seen, started, grace) -> None:  # type: ignore[no-untyped-def]
    try:
        got = usage_observed_from(first_usage=first_usage, first_seen=seen, started=started, grace_days=grace)
    except OverflowError:
        return  # a grace period past date.max
    if first_usage is None and seen is None and started is None:
        assert got is None
        return
    assert got is not None
    if first_usage is not None:
        assert got <= first_usage
    later = max([d for d in (seen, started) if d is not None], default=None)
    if later is not None:
        assert got <= later + timedelta(days=grace)


def test_pending_milestones_are_no_data_only_decided_ones_count() -> None:
    sc = card(m("ms", MeasureType.MILESTONE_ATTAINMENT, 1), min_measures=1)
    pending = evaluate(sc, AccountFacts("a", milestones=("pending", "pending")), NOW)
    assert pending.measures[0].raw is None
    decided = evaluate(sc, AccountFacts("a", milestones=("achieved", "missed", "pending")), NOW)
    assert decided.measures[0].raw == 50.0


def test_an_account_catching_up_on_its_history_is_scored_as_of_its_newest_day() -> None:
    """Connected a week ago, its month of history half arrived (oldest first): the score is that of the
    days it covers, not of a month whose last weeks look silent; once caught up, or past the grace
    period, windows end today."""
    from health.domain.observation import usage_as_of

    today = TODAY
    newest = today - timedelta(days=15)
    assert usage_as_of(newest_usage=newest, first_seen=today - timedelta(days=7), today=today, grace_days=14) == newest
    assert usage_as_of(newest_usage=today - timedelta(days=1), first_seen=today, today=today, grace_days=14) is None
    assert usage_as_of(newest_usage=newest, first_seen=today - timedelta(days=20), today=today, grace_days=14) is None
    sc = card(m("users", MeasureType.ACTIVE_USERS, 1, window_days=14), min_measures=1)
    half = {newest - timedelta(days=d): frozenset({"u1", "u2", "u3", "u4"}) for d in range(10)}
    facts = AccountFacts("a", seats=4, daily_users=half, usage_observed_from=newest - timedelta(days=10))
    assert evaluate(sc, replace(facts, usage_as_of=newest), NOW).measures[0].raw == 1.0  # all four, as of then
    assert evaluate(sc, facts, NOW).measures[0].raw == 0.0  # the same days, read as two silent weeks


def test_the_last_value_reviews_verdict_is_a_measure_and_none_held_is_no_data() -> None:
    percent = (ScalePoint(0, 0), ScalePoint(100, 100))
    sc = card(
        m("users", MeasureType.ACTIVE_USERS), m("value", MeasureType.VALUE_REVIEW, points=percent), min_measures=1
    )
    base = AccountFacts("a", seats=10, daily_users=users(10))

    def value(facts: AccountFacts) -> tuple[float | None, str | None, float]:
        score = evaluate(sc, facts, NOW)
        r = next(x for x in score.measures if x.key == "value")
        return r.raw, r.detail, score.value

    assert value(base) == (None, None, 100.0)  # not zero: nothing was said
    held = TODAY - timedelta(days=20)
    said = {o: value(replace(base, value_review=(held, o))) for o in ("exceeded", "met", "partially_met", "missed")}
    assert [raw for raw, _, _ in said.values()] == [100.0, 85.0, 50.0, 0.0]
    assert said["partially_met"][1] == f"the value review of {held.isoformat()} found the value partially met"
    assert said["missed"][2] == 50.0  # half the weight: users 100, the verdict 0
    stale = replace(base, value_review=(TODAY - timedelta(days=201), "missed"))
    assert value(stale)[0] is None  # two quarterly reviews missed since: an old verdict is no data


def test_a_healthy_amount_of_contact_is_no_load_and_a_large_silent_account_is_no_data() -> None:
    load = (ScalePoint(0, 100), ScalePoint(6, 40), ScalePoint(15, 0))
    sc = card(m("users", MeasureType.ACTIVE_USERS), m("support", MeasureType.SUPPORT_LOAD, points=load), min_measures=1)
    recent = TODAY - timedelta(days=5)
    open_two = (("medium", False), ("high", True))  # weights 2 + 3 x 1.5 (a bug) = 6.5

    def raw(facts: AccountFacts) -> float | None:
        return next(x for x in evaluate(sc, facts, NOW).measures if x.key == "support").raw

    small = AccountFacts(
        "a", seats=10, daily_users=users(5), tickets_seen=True, open_tickets=open_two, last_contact=recent
    )
    busy = replace(small, seats=200, daily_users=users(30))
    assert raw(small) == pytest.approx(6.5 - 0.1 * 5)
    assert raw(busy) == pytest.approx(6.5 - 0.1 * 30)  # 30 active users: three of it are a healthy amount
    quiet_large = replace(busy, open_tickets=(), last_contact=TODAY - timedelta(days=120))
    assert raw(quiet_large) is None  # silence from a large account is not health
    assert raw(replace(small, open_tickets=(), last_contact=TODAY - timedelta(days=120))) == 0.0
