"""The value ladder (health.domain.value): each rung needs the one below, unknown is never "not using",
and more evidence of value never moves an account down."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, strategies as st

from health.domain.model import AccountFacts
from health.domain.value import RUNGS, standing

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
TODAY = NOW.date()
USED = AccountFacts("a", seats=10, daily_users={TODAY - timedelta(days=3): frozenset({"u1", "u2"})})
OUTCOMES = ("in_progress", "met", "exceeded", "partially_met", "missed")


def test_each_rung_with_what_holds_the_account_on_it() -> None:
    assert standing(replace(USED, usage_observed_from=None), NOW) is None  # no usage data: unknown
    idle = standing(replace(USED, daily_users={TODAY - timedelta(days=45): frozenset({"u1"})}), NOW)
    assert idle is not None and (idle.rung, idle.reason) == ("not_using", "no one used it in the last 30 days")
    uses = standing(replace(USED, goals=("in_progress",)), NOW)
    assert uses is not None and uses.rung == "uses_it"
    assert uses.reason == "2 active users in 30 days; no goal met and no value review found the value met yet"
    solved = standing(replace(USED, goals=("met", "missed")), NOW)
    assert solved is not None and (solved.rung, solved.step) == ("problem_solved", 2)
    assert solved.reason == "2 active users in 30 days; 1 goal met; 1 of 2 goals not met"
    doubted = standing(replace(USED, goals=("met",), value_review=(TODAY, "partially_met")), NOW)
    assert doubted is not None and doubted.rung == "problem_solved"
    assert doubted.reason.endswith("the last value review found it partially met")
    met = standing(replace(USED, goals=("met", "exceeded")), NOW)
    assert met is not None and (met.rung, met.reason) == (
        "goals_met",
        "all 2 goals met; no promoter nor exceeded review yet",
    )
    promoter = {"c1": (TODAY - timedelta(days=20), 10)}
    seen = standing(replace(USED, goals=("met",), nps=promoter), NOW)
    assert seen is not None and (seen.rung, seen.reason) == ("value_others_see", "all 1 goals met; 1 promoter")
    by_review = standing(replace(USED, goals=("met",), value_review=(TODAY, "exceeded")), NOW)
    assert by_review is not None and by_review.rung == "value_others_see"


def test_a_review_alone_solves_the_problem_but_goals_must_be_decided_to_be_met() -> None:
    s = standing(replace(USED, value_review=(TODAY, "met")), NOW)
    assert s is not None and s.rung == "problem_solved" and s.reason.endswith("no goal decided yet")


facts = st.builds(
    lambda users, goals, review, promoters: replace(
        USED,
        daily_users={TODAY - timedelta(days=2): frozenset(f"u{i}" for i in range(users))},
        goals=tuple(goals),
        value_review=(TODAY, review) if review else None,
        nps={f"c{i}": (TODAY - timedelta(days=5), 9) for i in range(promoters)},
    ),
    st.integers(0, 3),
    st.lists(st.sampled_from(OUTCOMES), max_size=4),
    st.one_of(st.none(), st.sampled_from(OUTCOMES[1:])),
    st.integers(0, 2),
)


@given(facts)
def test_the_step_is_the_rungs_place_and_each_rung_needs_the_one_below(f: AccountFacts) -> None:
    s = standing(f, NOW)
    assert s is not None and s.step == RUNGS.index(s.rung)
    if s.step >= 2:
        assert any(g in ("met", "exceeded") for g in f.goals) or (f.value_review or (date.min, ""))[1] in (
            "met",
            "exceeded",
        )
    if s.step >= 3:
        assert all(g in ("met", "exceeded", "in_progress") for g in f.goals)


@given(facts, st.integers(1, 3))
def test_a_goal_met_instead_of_missed_or_another_promoter_never_moves_an_account_down(f: AccountFacts, n: int) -> None:
    before = standing(f, NOW)
    better_goals = replace(f, goals=tuple("met" if g == "missed" else g for g in f.goals))
    more_promoters = replace(f, nps={**f.nps, **{f"p{i}": (TODAY, 10) for i in range(n)}})
    assert before is not None
    for better in (better_goals, more_promoters):
        after = standing(better, NOW)
        assert after is not None and after.step >= before.step
