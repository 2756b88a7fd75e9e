from __future__ import annotations

import random
from datetime import date, timedelta

from hypothesis import given, strategies as st

from health.domain.milestones import Hit, MilestoneDef, evaluate

START = date(2026, 9, 1)
WEEKLY = MilestoneDef(
    "weekly-report",
    "Weekly report habit",
    "Report Run",
    threshold=3,
    window_days=7,
    deadline_days=60,
    distinct_users=True,
    recurrence_weeks=4,
)


def weekly_hits(weeks: int, users: int = 3, offset_days: int = 1) -> list[Hit]:
    return [Hit(START + timedelta(days=7 * w + offset_days), f"u{u}") for w in range(weeks) for u in range(users)]


def test_four_consecutive_weeks_with_three_distinct_users_is_achieved_with_time_to_value() -> None:
    state = evaluate(WEEKLY, weekly_hits(4), onboarding_start=START, today=START + timedelta(days=40))
    assert state.state == "achieved"
    assert state.achieved_on == START + timedelta(days=22) and state.time_to_value_days == 22


def test_a_broken_streak_is_not_enough_and_misses_after_the_deadline() -> None:
    hits = weekly_hits(2) + [h for h in weekly_hits(5) if h.day >= START + timedelta(days=21)][:6]
    hits += [Hit(START + timedelta(days=15), "u0")]  # week 3: one user only
    assert evaluate(WEEKLY, hits, onboarding_start=START, today=START + timedelta(days=30)).state == "pending"
    assert evaluate(WEEKLY, hits, onboarding_start=START, today=START + timedelta(days=61)).state == "missed"


def test_distinct_users_versus_event_counts() -> None:
    d = MilestoneDef("m", "m", "Report Run", threshold=3, window_days=7, deadline_days=30)
    same_user = [Hit(START + timedelta(days=i), "u0") for i in range(3)]
    assert evaluate(d, same_user, onboarding_start=START, today=START + timedelta(days=5)).state == "achieved"
    distinct = MilestoneDef("m", "m", "Report Run", threshold=3, window_days=7, deadline_days=30, distinct_users=True)
    assert evaluate(distinct, same_user, onboarding_start=START, today=START + timedelta(days=5)).state == "pending"


def test_hits_after_the_deadline_do_not_count_and_filters_match_properties() -> None:
    d = MilestoneDef("m", "m", "Report Run", threshold=1, window_days=7, deadline_days=10, filters={"format": "pdf"})
    late = [Hit(START + timedelta(days=12), "u0")]
    assert evaluate(d, late, onboarding_start=START, today=START + timedelta(days=20)).state == "missed"
    assert d.matches("Report Run", {"format": "pdf", "x": 1}) and not d.matches("Report Run", {"format": "csv"})
    assert not d.matches("Other", {"format": "pdf"})


@given(st.lists(st.tuples(st.integers(0, 70), st.integers(0, 4)), max_size=40), st.randoms())
def test_order_of_arrival_never_changes_the_outcome(raw: list[tuple[int, int]], rnd: random.Random) -> None:
    hits = [Hit(START + timedelta(days=d), f"u{u}") for d, u in raw]
    shuffled = hits[:]
    rnd.shuffle(shuffled)
    today = START + timedelta(days=75)
    assert evaluate(WEEKLY, hits, onboarding_start=START, today=today) == evaluate(
        WEEKLY, shuffled, onboarding_start=START, today=today
    )
