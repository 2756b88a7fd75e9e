"""Declarative milestones: "three distinct users ran the weekly report in each of four consecutive
weeks within 60 days of kickoff". Pure evaluation over the matching hits of one account."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

State = Literal["pending", "achieved", "missed"]


@dataclass(frozen=True, slots=True)
class MilestoneDef:
    key: str
    name: str
    event: str
    threshold: int
    window_days: int
    deadline_days: int
    distinct_users: bool = False
    recurrence_weeks: int | None = None  # "in each of N consecutive weeks"
    filters: Mapping[str, Any] = field(default_factory=dict)  # property equality
    is_key: bool = False  # a key milestone (predicts a long-term customer): missing it is worth an alert

    def matches(self, event: str, properties: Mapping[str, Any]) -> bool:
        return event == self.event and all(properties.get(k) == v for k, v in self.filters.items())


@dataclass(frozen=True, slots=True)
class Hit:
    day: date
    user: str


@dataclass(frozen=True, slots=True)
class MilestoneState:
    key: str
    state: State
    achieved_on: date | None = None
    time_to_value_days: int | None = None


def _measure(hits: Iterable[Hit], distinct: bool) -> int:
    hits = list(hits)
    return len({h.user for h in hits}) if distinct else len(hits)


def _first_window_met(d: MilestoneDef, hits: Sequence[Hit], start: date, last: date) -> date | None:
    """First day on which the trailing window holds the threshold (days from ``start`` to ``last``)."""
    day = start
    while day <= last:
        lo = day - timedelta(days=d.window_days - 1)
        if _measure((h for h in hits if lo <= h.day <= day), d.distinct_users) >= d.threshold:
            return day
        day += timedelta(days=1)
    return None


def _first_recurrence_met(d: MilestoneDef, hits: Sequence[Hit], start: date, last: date) -> date | None:
    """Weeks counted from ``start``; the day the Nth consecutive week reached the threshold."""
    assert d.recurrence_weeks
    streak = 0
    week = 0
    while True:
        w_start = start + timedelta(days=7 * week)
        if w_start > last:
            return None
        w_end = min(w_start + timedelta(days=6), last)
        in_week = sorted((h for h in hits if w_start <= h.day <= w_end), key=lambda h: h.day)
        met_on = None
        seen: list[Hit] = []
        for h in in_week:
            seen.append(h)
            if _measure(seen, d.distinct_users) >= d.threshold:
                met_on = h.day
                break
        streak = streak + 1 if met_on else 0
        if streak >= d.recurrence_weeks and met_on is not None:
            return met_on
        week += 1


def evaluate(d: MilestoneDef, hits: Sequence[Hit], *, onboarding_start: date | None, today: date) -> MilestoneState:
    """Achieved (with time-to-value in days from onboarding start), missed once the deadline has
    passed without it, else pending. Without an onboarding start there is no deadline yet."""
    start = onboarding_start or (min((h.day for h in hits), default=today))
    deadline = start + timedelta(days=d.deadline_days) if onboarding_start else None
    last = min(today, deadline) if deadline else today
    hits = [h for h in hits if h.day >= start]
    met = (_first_recurrence_met if d.recurrence_weeks else _first_window_met)(d, hits, start, last)
    if met is not None:
        return MilestoneState(d.key, "achieved", met, (met - start).days)
    if deadline is not None and today > deadline:
        return MilestoneState(d.key, "missed")
    return MilestoneState(d.key, "pending")


@dataclass(frozen=True, slots=True)
class Transition:
    """What a re-evaluation does with an account's stored milestone state."""

    store: bool  # the state or its achievement date changed: write it
    announce: State | None  # "achieved" or "missed" when just entered, else None
    deadline: date | None = None  # of a missed milestone, when onboarding started


def transition(
    d: MilestoneDef,
    *,
    before: tuple[State, date | None] | None,
    now: MilestoneState,
    onboarding_start: date | None,
) -> Transition:
    """Compare the stored (state, achieved_on) with the new evaluation. Achieved and missed are
    announced once, on entering them; re-evaluating the same state announces nothing."""
    if before is not None and before == (now.state, now.achieved_on):
        return Transition(store=False, announce=None)
    entered = before is None or before[0] != now.state
    if entered and now.state == "achieved":
        return Transition(store=True, announce="achieved")
    if entered and now.state == "missed":
        deadline = onboarding_start + timedelta(days=d.deadline_days) if onboarding_start else None
        return Transition(store=True, announce="missed", deadline=deadline)
    return Transition(store=True, announce=None)
