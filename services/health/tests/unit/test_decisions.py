"""Invariants of the decisions moved out of the re-score use case into the pure core: which
scorecard, which milestone transitions are announced, which score changes are announced (the
watermark), and when a stored score is worth a history row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, strategies as st

from health.domain.choice import CardChoice, choose
from health.domain.milestones import MilestoneDef, MilestoneState, transition
from health.domain.model import Colour, Score, Scorecard
from health.domain.scoring import Watermark, announce, stored_changed

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
START = date(2026, 9, 1)
DEF = MilestoneDef("first-report", "First report", "Report Run", threshold=1, window_days=7, deadline_days=30)
STATES = st.sampled_from(["pending", "achieved", "missed"])
DAYS = st.one_of(st.none(), st.dates(min_value=START, max_value=START + timedelta(days=90)))
COLOURS = st.sampled_from(list(Colour))


def score(value: float, colour: Colour, card: str = "c", version: int = 1) -> Score:
    return Score("a", card, version, value, colour, True, (), NOW)


# ----------------------------------------------------------------------------- scorecard choice

NAMES = st.sampled_from(["smb", "mid", "ent", "emea", "us"])
CARDS = st.lists(
    st.builds(
        lambda i, tiers, segs, default: CardChoice(
            Scorecard(f"c{i}", 1, f"c{i}", ()), frozenset(tiers), frozenset(segs), default
        ),
        st.integers(0, 99),
        st.sets(NAMES, max_size=2),
        st.sets(NAMES, max_size=2),
        st.booleans(),
    ),
    min_size=1,
    max_size=6,
)


@given(CARDS, st.one_of(st.none(), NAMES), st.one_of(st.none(), NAMES))
def test_the_chosen_card_is_a_matching_specific_one_else_the_default(cards, tier, segment) -> None:  # type: ignore[no-untyped-def]
    chosen = choose(cards, tier, segment)
    assert chosen in cards
    specific = [c for c in cards if not c.is_default and (tier in c.tiers or segment in c.segments)]
    if specific:
        assert chosen is specific[0]  # the first in order wins
    elif any(c.is_default for c in cards):
        assert chosen.is_default
    else:
        assert chosen is cards[0]


@given(CARDS, st.one_of(st.none(), NAMES), st.one_of(st.none(), NAMES))
def test_a_card_for_the_lifecycle_stage_wins_over_tier_and_segment(cards, tier, segment) -> None:  # type: ignore[no-untyped-def]
    onboarding = CardChoice(
        Scorecard("onb", 1, "onboarding", ()), frozenset(), frozenset(), False, frozenset({"onboarding"})
    )
    both = [*cards, onboarding]
    assert choose(both, tier, segment, "onboarding") is onboarding
    assert choose(both, tier, segment, "mature") is choose(cards, tier, segment)  # other stages: as before


# ----------------------------------------------------------------------------- milestone transitions


@given(STATES, DAYS, STATES, DAYS)
def test_achieved_and_missed_are_announced_once_on_entering(s0, d0, s1, d1) -> None:  # type: ignore[no-untyped-def]
    now = MilestoneState(DEF.key, s1, d1)
    t = transition(DEF, before=(s0, d0), now=now, onboarding_start=START)
    if t.announce is not None:
        assert t.store and t.announce == s1 and s0 != s1
    if (s0, d0) == (s1, d1):
        assert not t.store and t.announce is None
    again = transition(DEF, before=(s1, d1), now=now, onboarding_start=START)
    assert not again.store and again.announce is None  # re-evaluating the stored state says nothing


@given(STATES, DAYS)
def test_a_first_evaluation_stores_and_announces_only_terminal_states(s1, d1) -> None:  # type: ignore[no-untyped-def]
    t = transition(DEF, before=None, now=MilestoneState(DEF.key, s1, d1), onboarding_start=START)
    assert t.store and t.announce == (s1 if s1 in ("achieved", "missed") else None)


def test_a_missed_milestone_carries_its_deadline() -> None:
    t = transition(DEF, before=("pending", None), now=MilestoneState(DEF.key, "missed"), onboarding_start=START)
    assert t.deadline == START + timedelta(days=30)
    no_start = transition(DEF, before=("pending", None), now=MilestoneState(DEF.key, "missed"), onboarding_start=None)
    assert no_start.announce == "missed" and no_start.deadline is None


# ----------------------------------------------------------------------------- announcement watermark


@given(
    st.one_of(st.none(), st.builds(Watermark, st.floats(0, 100), COLOURS)),
    st.floats(0, 100),
    COLOURS,
    st.floats(0.1, 20),
)
def test_the_watermark_moves_exactly_when_something_is_announced(last, value, colour, min_delta) -> None:  # type: ignore[no-untyped-def]
    said = announce(last, score(value, colour), min_delta)
    if said.score_changed:
        assert said.watermark == Watermark(value, colour)
    else:
        assert said.watermark == last and not said.colour_changed
    if said.colour_changed:
        assert said.score_changed
    known = last is not None and last.colour is not Colour.UNKNOWN
    if known and last is not None and last.colour != colour:
        assert said.colour_changed  # a change between known colours is always announced
    if not known:
        assert not said.colour_changed  # a first known colour is a baseline, never a change
        assert said.baseline == (colour is not Colour.UNKNOWN)
    repeat = announce(said.watermark, score(value, colour), min_delta)
    assert not repeat.score_changed  # the same score twice is announced at most once


@given(st.lists(st.floats(-0.9, 0.9), min_size=1, max_size=60))
def test_small_moves_add_up_against_the_watermark(steps) -> None:  # type: ignore[no-untyped-def]
    """Below-threshold moves are never lost: announced value and current never drift apart by min_delta."""
    min_delta, value = 1.0, 50.0
    mark: Watermark | None = Watermark(value, Colour.YELLOW)
    for step in steps:
        value = min(100.0, max(0.0, value + step))
        said = announce(mark, score(value, Colour.YELLOW), min_delta)
        mark = said.watermark
        assert mark is not None and abs(mark.value - value) < min_delta


def test_history_rows_only_for_a_real_change() -> None:
    base = score(50.0, Colour.YELLOW)
    assert stored_changed(None, base)
    assert not stored_changed(base, score(50.004, Colour.YELLOW))
    assert stored_changed(base, score(50.02, Colour.YELLOW))
    assert stored_changed(base, score(50.0, Colour.RED))
    assert stored_changed(base, score(50.0, Colour.YELLOW, version=2))
    assert stored_changed(base, score(50.0, Colour.YELLOW, card="other"))


@given(st.sampled_from([Colour.RED, Colour.YELLOW, Colour.GREEN]), st.floats(0, 100))
def test_a_first_score_is_a_baseline_not_a_change(colour, value) -> None:  # type: ignore[no-untyped-def]
    """Go-live: whatever the first known colour, nothing says it changed; the next real change does."""
    first = announce(None, score(value, colour), 5.0)
    assert first.score_changed and first.baseline and not first.colour_changed
    after_unknown = announce(Watermark(value, Colour.UNKNOWN), score(value, colour), 5.0)
    assert after_unknown.baseline and not after_unknown.colour_changed
    other = next(c for c in (Colour.RED, Colour.GREEN) if c is not colour)
    later = announce(first.watermark, score(value, other), 5.0)
    assert later.colour_changed and not later.baseline
