"""The executive report's opening (domain.headlines, domain.stories): at most four figures the company
chose, each with its trend or the honest lack of one; quotes by account size then strength of words, one
per account; wins and escalations, largest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, strategies as st

from accounts.domain import headlines as hl, stories as sr

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_headlines_in_the_chosen_order_with_their_trend() -> None:
    heads = hl.headlines(
        ["grr", "arr_at_risk", "time_to_value"],
        {"grr": 0.92, "arr_at_risk": 120_000.0, "time_to_value": 18.0},
        {"grr": 0.88, "time_to_value": 25.0},
    )
    assert [h.key for h in heads] == ["grr", "arr_at_risk", "time_to_value"]
    grr, risk, ttv = heads
    assert (grr.change, grr.improved) == (0.04, True)
    assert (risk.previous, risk.change, risk.improved) == (None, None, None)  # no history: no made-up trend
    assert (ttv.change, ttv.improved) == (-7.0, True)  # time to value down is better


def test_a_bad_choice_of_headlines_is_named() -> None:
    with pytest.raises(ValueError, match="between 1 and 4"):
        hl.check(["nrr", "grr", "arr_at_risk", "time_to_value", "champion_coverage"])
    with pytest.raises(ValueError, match="unknown headline figure 'ebitda'"):
        hl.check(["ebitda"])
    with pytest.raises(ValueError, match="twice"):
        hl.check(["nrr", "nrr"])


@given(
    st.lists(st.sampled_from(list(hl.CATALOGUE)), min_size=1, max_size=4, unique=True),
    st.floats(-1, 1),
    st.floats(-1, 1),
)
def test_improved_follows_the_figures_good_direction(keys: list[str], now: float, before: float) -> None:
    for h in hl.headlines(keys, dict.fromkeys(keys, now), dict.fromkeys(keys, before)):
        if h.change:
            assert h.improved == ((h.change > 0) == (hl.CATALOGUE[h.key].better == "up"))


def moment(account: str, arr: float, event: str, days: int = 0, **detail: object) -> sr.Moment:
    return sr.Moment(account, account.title(), arr, NOW - timedelta(days=days), event, f"{event} of {account}", detail)


def test_quotes_largest_accounts_first_strongest_words_one_each() -> None:
    said = [
        moment("small", 10_000, "nps_submitted", score=10, comment="Love it"),
        moment("big", 500_000, "nps_submitted", score=7, comment="Fine"),
        moment("big", 500_000, "nps_submitted", score=0, comment="Reports keep breaking"),
        moment("mid", 80_000, "value_review_recorded", outcome="exceeded", notes="Cut reporting by 80 %"),
        moment("mid", 80_000, "nps_submitted", score=9),  # no comment: nothing to quote
    ]
    quotes = sr.quotes(said)
    assert [(q.account_id, q.text) for q in quotes] == [
        ("big", '"Reports keep breaking" (NPS 0)'),
        ("mid", '"Cut reporting by 80 %" (value review: exceeded)'),
        ("small", '"Love it" (NPS 10)'),
    ]


def test_wins_and_escalations_largest_first() -> None:
    found = [
        moment("a", 50_000, "goal_progress_changed", status="exceeded"),
        moment("b", 90_000, "opportunity_created", kind="expansion"),
        moment("c", 70_000, "opportunity_created", kind="renewal"),
        moment("d", 60_000, "renewal_closed", outcome="expanded"),
        moment("e", 40_000, "goal_progress_changed", status="met"),
        moment("f", 300_000, "risk_escalated"),
    ]
    assert [w.account_id for w in sr.wins(found)] == ["b", "d", "a"]
    assert [e.account_id for e in sr.escalations(found)] == ["f"]
