"""Renewal risk (domain.md, Renewals): flag risk early, with reasons a person can act on.

Risk is a sum of points, one entry per factor present (health red or falling, champion gone,
high exposure, deep discount, missed milestones, open severe tickets, hand-off flags). Adding a
factor never lowers it. An opportunity is *at risk* from the moment its renewal opens (the horizon,
120 days: "risk seen at 120 days is raised at 120 days") once its points reach the threshold; the
90/60/30-day window says how close the renewal is. A renewal at risk escalates to the VP of CS once
it is as close as its tier says (bellwether_shared.tiers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from bellwether_shared.pricing import VALUE_THRESHOLD_DISCOUNT_PCT, below_value_threshold

WINDOWS = (90, 60, 30)


@dataclass(frozen=True, slots=True)
class Inputs:
    days_to_renewal: int
    colour: str | None = None  # red / yellow / green / unknown; None: no score yet
    usage_data: bool = True  # usage counted in that colour; a colour without it is no risk factor
    score: float | None = None
    trend: float | None = None  # score change over the trend window (points)
    champion_departed: bool = False
    exposure: str | None = None  # high / moderate / low
    discount_pct: float | None = None
    missed_milestones: int = 0
    open_severe_tickets: int = 0
    deal_flags: tuple[str, ...] = ()
    healthy_champions: int | None = None  # healthy influential champions (None: not assessed yet)
    problem_severity: int | None = None  # 1..5, the problem bought for (recorded at onboarding or hand-off)
    temporary_discount: tuple[str, date] | None = None  # (label, ends on) of the term's temporary discount
    value_review: tuple[str, date] | None = None  # (outcome, held on) of the last value review (None: none held)
    horizon_days: int = 120  # risk is raised from this close to the date (the renewal opportunity opens then)
    escalate_within_days: int | None = None  # the tier's: at risk this close goes to the VP (None: never)


@dataclass(frozen=True, slots=True)
class Weights:
    red: float = 40
    yellow: float = 15
    falling: float = 15
    falling_by: float = 10  # a drop of at least this many points over the trend window
    champion_departed: float = 30
    exposure_high: float = 15
    exposure_moderate: float = 5
    deep_discount: float = 10
    deep_discount_pct: float = VALUE_THRESHOLD_DISCOUNT_PCT
    discount_ending: float = 10  # a temporary discount ends before the renewal: the price rises then
    per_missed_milestone: float = 10
    max_missed_milestones: float = 20
    per_severe_ticket: float = 10
    max_severe_tickets: float = 20
    per_deal_flag: float = 5
    max_deal_flags: float = 15
    no_healthy_champion: float = 20
    low_severity_high_exposure: float = 15  # a nice-to-have problem in an exposed industry: first to be cut
    low_severity_up_to: int = 2
    value_missed: float = 20  # the last value review found the value missed
    value_partially_met: float = 10
    at_risk_points: float = 40


@dataclass(frozen=True, slots=True)
class Reason:
    factor: str
    points: float
    text: str


@dataclass(frozen=True, slots=True)
class Risk:
    points: float
    level: Literal["none", "low", "medium", "high"]
    at_risk: bool
    window: int | None  # 90 / 60 / 30 once inside the horizon
    reasons: tuple[Reason, ...]
    escalate: bool = False  # at risk, and as close to the date as the tier escalates


def window(days_to_renewal: int) -> int | None:
    inside = [w for w in WINDOWS if days_to_renewal <= w]
    return min(inside) if inside else None


def _relationship(i: Inputs, w: Weights) -> list[Reason]:
    """What health and the people say: the colour (only with usage data), its trend, the champions and the
    problem bought for."""
    reasons: list[Reason] = []
    if not i.usage_data:
        pass  # domain.md: missing data is not bad data; a colour computed without usage makes no risk
    elif i.colour == "red":
        reasons.append(Reason("health_red", w.red, f"health is red ({_score(i.score)})"))
    elif i.colour == "yellow":
        reasons.append(Reason("health_yellow", w.yellow, f"health is yellow ({_score(i.score)})"))
    if i.trend is not None and i.trend <= -w.falling_by:
        reasons.append(Reason("health_falling", w.falling, f"health fell {-i.trend:.0f} points"))
    if i.healthy_champions == 0:
        reasons.append(Reason("no_healthy_champion", w.no_healthy_champion, "no healthy influential champion"))
    if i.exposure == "high" and i.problem_severity is not None and i.problem_severity <= w.low_severity_up_to:
        reasons.append(
            Reason(
                "low_severity_high_exposure",
                w.low_severity_high_exposure,
                f"the problem bought for is {i.problem_severity}/5 severe and the industry's exposure is high",
            )
        )
    if i.champion_departed:
        reasons.append(Reason("champion_departed", w.champion_departed, "the champion left the account"))
    reasons += _value(i, w)
    return reasons


def _value(i: Inputs, w: Weights) -> list[Reason]:
    """The customer's own verdict at the last value review: missed or partially met value is a reason;
    no review held is no reason (missing data is not bad data)."""
    if i.value_review is None:
        return []
    outcome, held = i.value_review
    if outcome == "missed":
        return [
            Reason("value_missed", w.value_missed, f"the value review of {held.isoformat()} found the value missed")
        ]
    if outcome == "partially_met":
        text = f"the value review of {held.isoformat()} found the value partially met"
        return [Reason("value_partially_met", w.value_partially_met, text)]
    return []


def _commercial(i: Inputs, w: Weights) -> list[Reason]:
    """What the deal says: the industry's exposure, a deep discount, a temporary discount ending."""
    reasons: list[Reason] = []
    if i.exposure == "high":
        reasons.append(Reason("exposure_high", w.exposure_high, "industry highly exposed to the economic shock"))
    elif i.exposure == "moderate":
        reasons.append(Reason("exposure_moderate", w.exposure_moderate, "industry moderately exposed"))
    if below_value_threshold(i.discount_pct, w.deep_discount_pct):
        assert i.discount_pct is not None
        reasons.append(Reason("deep_discount", w.deep_discount, f"paying {100 - i.discount_pct:.0f}% of list price"))
    if i.temporary_discount is not None:
        label, ends = i.temporary_discount
        reasons.append(
            Reason(
                "discount_ending",
                w.discount_ending,
                f"the temporary discount '{label}' ends on {ends.isoformat()}: the price rises",
            )
        )
    return reasons


def _delivery(i: Inputs, w: Weights) -> list[Reason]:
    """What went wrong since: missed milestones, severe tickets open, hand-off flags (each capped)."""
    reasons: list[Reason] = []
    if i.missed_milestones > 0:
        pts = min(w.max_missed_milestones, w.per_missed_milestone * i.missed_milestones)
        reasons.append(Reason("milestones_missed", pts, f"{i.missed_milestones} milestone(s) missed"))
    if i.open_severe_tickets > 0:
        pts = min(w.max_severe_tickets, w.per_severe_ticket * i.open_severe_tickets)
        reasons.append(Reason("severe_tickets", pts, f"{i.open_severe_tickets} severe ticket(s) open"))
    if i.deal_flags:
        pts = min(w.max_deal_flags, w.per_deal_flag * len(i.deal_flags))
        reasons.append(Reason("deal_flags", pts, "hand-off flags: " + ", ".join(sorted(i.deal_flags))))
    return reasons


def assess(i: Inputs, w: Weights = Weights()) -> Risk:
    reasons = [*_relationship(i, w), *_commercial(i, w), *_delivery(i, w)]
    points = sum(r.points for r in reasons)
    win = window(i.days_to_renewal)
    level: Literal["none", "low", "medium", "high"] = (
        "high" if points >= 60 else "medium" if points >= 30 else "low" if points > 0 else "none"
    )
    at_risk = i.days_to_renewal <= i.horizon_days and points >= w.at_risk_points
    return Risk(
        points=points,
        level=level,
        at_risk=at_risk,
        window=win,
        reasons=tuple(sorted(reasons, key=lambda r: -r.points)),
        escalate=at_risk and i.escalate_within_days is not None and i.days_to_renewal <= i.escalate_within_days,
    )


def _score(score: float | None) -> str:
    return f"{score:.0f}" if score is not None else "no score"


@dataclass(frozen=True, slots=True)
class Announcements:
    risk_changed: bool  # entered or left "at risk"
    window_entered: bool  # reached a nearer 90/60/30-day window than announced before
    escalated: bool = False  # at risk and now close enough for the tier's escalation, first time


def announce(*, was_at_risk: bool, last_window: int | None, now: Risk, was_escalated: bool = False) -> Announcements:
    """What a re-assessment announces: only changes. Entering or leaving risk once each way; each
    window once, when first reached (a renewal that moves further away announces nothing); an
    escalation once per renewal."""
    return Announcements(
        risk_changed=now.at_risk != was_at_risk,
        window_entered=now.window is not None and (last_window is None or now.window < last_window),
        escalated=now.escalate and not was_escalated,
    )
