"""Plain data the core works on (no framework, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from health.domain.champions import Assessment, Coverage


class MeasureType(StrEnum):
    ACTIVE_USERS = "active_users"  # distinct active users in window / seats
    USAGE_TREND = "usage_trend"  # % change of events, window vs the window before
    FEATURE_BREADTH = "feature_breadth"  # % of key features used in window
    MILESTONE_ATTAINMENT = "milestone_attainment"  # % of milestones achieved
    ONBOARDING = "onboarding"  # 0 / 50 / 100: technical and process confirmation by the customer
    NPS = "nps"  # NPS (-100..100) over the latest answer per contact in window
    SUPPORT_LOAD = "support_load"  # severity-weighted open tickets (lower is better)
    CHAMPION = "champion"  # 100 active champion, 50 none known, 0 champion left in window
    GOAL_ATTAINMENT = "goal_attainment"  # mean of goal outcomes (exceeded 100 ... missed 0)
    EXPOSURE = "exposure"  # industry exposure: 0 low, 1 moderate, 2 high
    DISCOUNT_DEPTH = "discount_depth"  # % below list price
    PROBLEM_SEVERITY = "problem_severity"  # 1..5: how severe the problem bought for is (higher: stickier)
    PRODUCT_COMPLETENESS = "product_completeness"  # open blocking feature requests and bugs (lower is better)
    VALUE_REVIEW = "value_review"  # the customer's verdict at the last value review (exceeded 100 ... missed 0)


USAGE_MEASURES = frozenset({MeasureType.ACTIVE_USERS, MeasureType.USAGE_TREND, MeasureType.FEATURE_BREADTH})


class Colour(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    UNKNOWN = "unknown"  # too little data to say


@dataclass(frozen=True, slots=True)
class ScalePoint:
    raw: float
    score: float


@dataclass(frozen=True, slots=True)
class MeasureSpec:
    key: str
    type: MeasureType
    weight: float
    scale: tuple[ScalePoint, ...]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Thresholds:
    red_below: float = 40.0
    green_from: float = 70.0


@dataclass(frozen=True, slots=True)
class Scorecard:
    id: str
    version: int
    name: str
    measures: tuple[MeasureSpec, ...]
    thresholds: Thresholds = Thresholds()
    min_measures: int = 2  # fewer measures with data: the score says it has too little data
    min_weight_share: float = 0.5  # or less than this share of the total weight has data


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """Everything the measures read about one account, as of ``now``."""

    account_id: str
    seats: int | None = None
    tier: str | None = None
    onboarding_started_at: date | None = None
    exposure: str | None = None
    discount_pct: float | None = None
    onboarding: frozenset[str] = frozenset()  # {"technical", "process"}
    daily_users: Mapping[date, frozenset[str]] = field(default_factory=dict)
    daily_events: Mapping[tuple[date, str], int] = field(default_factory=dict)
    nps: Mapping[str, tuple[date, int]] = field(default_factory=dict)  # contact -> (when, score)
    tickets_seen: bool = False
    open_tickets: tuple[tuple[str, bool], ...] = ()  # (severity, bug_linked)
    last_contact: date | None = None  # the newest ticket's opening day (None: none known)
    champions: tuple[Assessment, ...] = ()  # each contact's placement (domain.champions)
    coverage: Coverage | None = None  # healthy influential champions against the tier's target
    goals: tuple[str, ...] = ()  # statuses (computed where the goal has numbers)
    goal_notes: tuple[str, ...] = ()  # "'Cut onboarding time' partially met (62 %)"
    milestones: tuple[str, ...] = ()  # states: pending / achieved / missed
    problems: tuple[tuple[str, int], ...] = ()  # (description, severity 1..5)
    requests_seen: bool = False  # the account asked for anything at all
    blocking_open: tuple[str, ...] = ()  # titles of open blocking feature requests and bugs
    value_review: tuple[date, str] | None = None  # the last value review: (held on, outcome); None: none held
    # the first day whose usage is data (domain.observation); None: none is yet, so usage measures have
    # no data. The default (date.min) is "always observed", for facts that predate the notion.
    usage_observed_from: date | None = date.min
    # the day usage windows end on while an account connected lately catches up on its history
    # (domain.observation.usage_as_of); None: today
    usage_as_of: date | None = None


@dataclass(frozen=True, slots=True)
class MeasureResult:
    key: str
    type: MeasureType
    raw: float | None  # None: no data, left out
    score: float | None
    weight: float
    contribution: float  # points of the final score this measure supplied
    detail: str | None = None  # what the raw value stands for, in words (champions, goals, requests)


@dataclass(frozen=True, slots=True)
class Reason:
    key: str
    delta: float  # change of this measure's contribution, in score points
    text: str


@dataclass(frozen=True, slots=True)
class Score:
    account_id: str
    scorecard_id: str
    scorecard_version: int
    value: float
    colour: Colour
    sufficient: bool
    measures: tuple[MeasureResult, ...]
    computed_at: datetime
    reasons: tuple[Reason, ...] = ()

    @property
    def usage_data(self) -> bool:
        """Did usage count in this score? False while every usage measure of the card had no data (a
        card without usage measures: True). A colour without it never makes a renewal at risk."""
        usage = [m for m in self.measures if m.type in USAGE_MEASURES]
        return not usage or any(m.raw is not None for m in usage)
