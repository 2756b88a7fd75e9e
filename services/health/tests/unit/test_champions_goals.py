"""Champion health per person and goals with measurable targets (pure cores): worked examples from the
seeds, and invariants (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, strategies as st

from health.domain import champions as ch, goals as gl

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _ticket(days_open: float, severity: str = "medium", closed: bool = True) -> ch.Ticket:
    opened = NOW - timedelta(days=30)
    return ch.Ticket(severity, opened, opened + timedelta(days=days_open) if closed else None)


VP = ch.ContactFacts(
    "vp-ops",
    name="Ana Silva",
    title="VP Operations",
    seniority="vp",
    is_champion=True,
    linked=True,
    active_days=10,
    nps=4,
    nps_comment="reports keep breaking",
    nps_polarity=-0.4,
    tickets=(_ticket(20), _ticket(15), _ticket(12, "high")),
    changed_at=NOW - timedelta(days=200),
)


def test_the_seed_example_engaged_but_not_delighted_with_its_reasons() -> None:
    a = ch.assess(VP, now=NOW)
    assert a.quadrant == "engaged_not_delighted" and a.influence == "high" and a.influential and not a.healthy
    assert a.why[0].startswith("the VP Operations is engaged but not delighted: ")
    assert 'NPS 4 ("reports keep breaking")' in a.why[0] and "3 slow tickets" in a.why[0]


def test_the_four_quadrants_and_departure() -> None:
    happy = replace(VP, nps=10, nps_comment=None, nps_polarity=None, tickets=(_ticket(1),))
    assert ch.assess(happy, now=NOW).quadrant == "engaged_delighted"
    quiet = replace(happy, active_days=0, tickets=())
    assert ch.assess(quiet, now=NOW).quadrant == "not_engaged_delighted"
    assert ch.assess(replace(VP, active_days=0, tickets=()), now=NOW).quadrant == "not_engaged_not_delighted"
    gone = ch.assess(replace(happy, departed=True), now=NOW)
    assert (
        gone.quadrant == "departed"
        and not gone.healthy_influential
        and gone.why == ("the VP Operations left the company",)
    )
    unknown = ch.ContactFacts("x", name="Bo")
    assert ch.assess(unknown, now=NOW).quadrant == "unknown"


def test_stated_levels_stand_in_only_without_observations() -> None:
    stated = ch.ContactFacts("c", stated_engagement="high", stated_delight="low")
    a = ch.assess(stated, now=NOW)
    assert (a.engagement, a.delight, a.quadrant) == (85.0, 20.0, "engaged_not_delighted")
    observed = replace(stated, linked=True, active_days=0, nps=10)
    b = ch.assess(observed, now=NOW)
    assert b.engagement is not None and b.engagement < 50  # what the system sees wins over what was typed


def test_influence_from_seniority_title_promotion_and_ownership() -> None:
    assert ch.influence(ch.ContactFacts("c", seniority="individual")) == "low"
    assert ch.influence(ch.ContactFacts("c", title="Head of Support")) == "medium"
    assert ch.influence(ch.ContactFacts("c", title="Head of Support", can_promote=True)) == "high"
    assert ch.influence(ch.ContactFacts("c", seniority="vp", owns_relationship_next_12m=False)) == "medium"
    assert ch.influence(ch.ContactFacts("c", seniority="individual", stated_influence="high")) == "high"
    assert ch.influence(ch.ContactFacts("c")) is None


def test_an_influential_champion_leaving_the_healthy_quadrant_is_at_risk_once() -> None:
    healthy = ch.assess(replace(VP, nps=10, nps_comment=None, nps_polarity=None, tickets=()), now=NOW)
    before = {"vp-ops": ch.Previous(healthy.quadrant, healthy.healthy, healthy.influential)}
    worse = ch.assess(VP, now=NOW)
    c = ch.changes(before, [worse], coverage_before=1, coverage_now=0)
    assert [(a.contact_id, was) for a, was in c.at_risk] == [("vp-ops", "engaged_delighted")]
    assert c.coverage_changed and [a.contact_id for a in c.assessed] == ["vp-ops"]
    again = ch.changes({"vp-ops": ch.Previous(worse.quadrant, False, True)}, [worse], coverage_before=0, coverage_now=0)
    assert again == ch.Changes((), (), False)  # nothing new to say


def test_coverage_counts_healthy_influential_against_the_tier_target() -> None:
    healthy = replace(VP, nps=10, nps_comment=None, nps_polarity=None, tickets=())
    ic = replace(healthy, contact_id="ic", title=None, seniority="individual")
    contacts = [healthy, ic, replace(VP, contact_id="old", departed=True, changed_at=NOW - timedelta(days=5))]
    assessed = [ch.assess(c, now=NOW) for c in contacts]
    cov = ch.coverage(contacts, assessed, target=3, now=NOW)
    assert (cov.healthy_influential, cov.target, cov.recently_departed) == (1, 3, ("the VP Operations",))
    assert ch.explain(cov, assessed).startswith("1 of 3 healthy influential champions; left recently")


facts = st.builds(
    ch.ContactFacts,
    contact_id=st.just("c"),
    linked=st.booleans(),
    active_days=st.integers(0, 30),
    nps=st.one_of(st.none(), st.integers(0, 10)),
    nps_polarity=st.one_of(st.none(), st.floats(-1, 1)),
    tickets=st.lists(
        st.builds(_ticket, st.floats(0, 40), st.sampled_from(["low", "medium", "high", "urgent"]), st.booleans()),
        max_size=8,
    ).map(tuple),
    seniority=st.sampled_from([None, "executive", "vp", "director", "manager", "individual"]),
    can_promote=st.one_of(st.none(), st.booleans()),
    owns_relationship_next_12m=st.one_of(st.none(), st.booleans()),
)


@given(facts, st.integers(0, 30))
def test_more_product_use_never_lowers_engagement(c: ch.ContactFacts, more: int) -> None:
    a, _ = ch.engagement(c, now=NOW)
    b, _ = ch.engagement(replace(c, active_days=min(30, c.active_days + more)), now=NOW)
    assert a is None or (b is not None and b >= a)


@given(facts)
def test_a_better_nps_never_lowers_delight(c: ch.ContactFacts) -> None:
    if c.nps is None or c.nps == 10:
        return
    a, _ = ch.delight(c, now=NOW)
    b, _ = ch.delight(replace(c, nps=c.nps + 1), now=NOW)
    assert a is not None and b is not None and b >= a


@given(facts)
def test_promotion_never_lowers_influence_and_leaving_the_relationship_never_raises_it(c: ch.ContactFacts) -> None:
    rank = {None: -1, "low": 0, "medium": 1, "high": 2}
    assert rank[ch.influence(replace(c, can_promote=True))] >= rank[ch.influence(replace(c, can_promote=False))]
    owns, leaves = replace(c, owns_relationship_next_12m=True), replace(c, owns_relationship_next_12m=False)
    assert rank[ch.influence(leaves)] <= rank[ch.influence(owns)]


@given(facts)
def test_the_quadrant_is_the_thresholds_of_engagement_and_delight(c: ch.ContactFacts) -> None:
    a = ch.assess(c, now=NOW)
    if a.engagement is None or a.delight is None:
        assert a.quadrant == "unknown"
    else:
        assert a.healthy == (a.engagement >= ch.ENGAGED_FROM and a.delight >= ch.DELIGHTED_FROM)


# ----------------------------------------------------------------------------- goals

TODAY = date(2026, 11, 20)


def test_goal_status_is_computed_from_the_numbers() -> None:
    g = gl.Goal(
        "g",
        "200 demo requests a month",
        "in_progress",
        baseline=100,
        target_value=200,
        current_value=160,
        due_date=TODAY + timedelta(days=30),
    )
    assert gl.evaluate(g, today=TODAY) == gl.Progress("g", "in_progress", 60.0, 160, computed=True)
    assert gl.evaluate(g, today=TODAY + timedelta(days=30)).status == "partially_met"
    assert gl.evaluate(replace(g, current_value=205), today=TODAY).status == "met"
    assert gl.evaluate(replace(g, current_value=230), today=TODAY).status == "exceeded"
    assert gl.evaluate(replace(g, current_value=120), today=TODAY + timedelta(days=31)).status == "missed"
    down = gl.Goal("d", "cut onboarding to 10 days", "in_progress", baseline=30, target_value=10, current_value=15)
    assert gl.evaluate(down, today=TODAY).progress_pct == 75.0  # a goal may be to bring something down
    typed = gl.Goal("t", "happier team", "partially_met")
    assert gl.evaluate(typed, today=TODAY) == gl.Progress("t", "partially_met", None, None, computed=False)


values = st.floats(-1e6, 1e6, allow_nan=False)


@given(values, values, values, values, st.integers(-60, 60))
def test_closer_to_the_target_never_scores_a_worse_outcome(
    base: float, target: float, cur: float, more: float, due_in: int
) -> None:
    if base == target:
        return
    g = gl.Goal("g", "n", "in_progress", base, target, cur, TODAY + timedelta(days=due_in))
    step = abs(more) if target > base else -abs(more)
    better = replace(g, current_value=cur + step)
    order = {"missed": 0, "partially_met": 1, "in_progress": 1, "met": 2, "exceeded": 3}
    a, b = gl.evaluate(g, today=TODAY), gl.evaluate(better, today=TODAY)
    assert order[b.status] >= order[a.status]
    if due_in > 0:
        assert a.status in ("in_progress", "met", "exceeded")  # nothing is missed before its due date


# ----------------------------------------------------------------------------- expansion readiness

from health.domain import expansion as xp  # noqa: E402

READY = xp.Signals(
    seats=10,
    active_users=9,
    active_users_before=6,
    events=900,
    events_before=700,
    breadth_pct=None,
    healthy_champions=1,
    goal_statuses=("met", "in_progress"),
    colour="green",
)


def test_a_broadly_adopted_growing_account_with_a_champion_and_goals_met_is_ready() -> None:
    r = xp.assess(READY)
    assert r.ready and r.growth_type == "organic_seats" and r.missing == ()
    assert r.reasons == (
        "9 of 10 seats active",
        "1 healthy influential champion",
        "1 goal met or exceeded",
        "active users up 50 %",
    )
    assert xp.assess(replace(READY, active_users=8)).growth_type == "consumption"  # 80 %: broad, not full
    assert xp.announce(False, r) and not xp.announce(True, r)


@given(
    st.sampled_from(["red", "yellow", "green"]),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 2),
    st.lists(st.sampled_from(["met", "exceeded", "partially_met", "missed", "in_progress"]), max_size=3),
)
def test_anything_in_the_way_means_not_ready(
    colour: str, severe: int, blocking: int, champions: int, goals: list[str]
) -> None:
    s = replace(
        READY,
        colour=colour,
        severe_open=severe,
        blocking_open=blocking,
        healthy_champions=champions,
        goal_statuses=tuple(goals),
    )
    r = xp.assess(s)
    if colour == "red" or severe or blocking or champions == 0 or "missed" in goals:
        assert not r.ready and r.growth_type is None and r.missing
    if r.ready:
        assert xp.assess(replace(s, severe_open=1)).ready is False  # adding a blocker never keeps it ready
