"""Events produced by the health service (topic health.v1), version 1."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from bellwether_shared import topics
from bellwether_shared.events.base import Event

Colour = Literal["red", "yellow", "green", "unknown"]


class Reason(Event):
    key: str = Field(description="the measure")
    delta: float = Field(description="change of its contribution, in score points")
    text: str


class HealthEvent(Event):
    producer: ClassVar[str] = "health"
    topic: ClassVar[str] = topics.HEALTH
    account_id: str


class HealthScoreChanged(HealthEvent):
    """A meaningful change: at least the configured minimum delta, or any colour change."""

    event_type: ClassVar[str] = "bellwether.health.score_changed.v1"
    old_value: float | None
    new_value: float
    old_colour: Colour | None
    new_colour: Colour
    delta: float | None
    sufficient: bool
    scorecard_id: str
    scorecard_version: int
    reasons: list[Reason]
    computed_at: datetime
    baseline: bool = Field(
        default=False,
        description="the account's first known score: a starting point, not a change (delta is null)",
    )
    usage_data: bool = Field(
        default=True, description="usage counted in it (false: no usage is data yet for this account)"
    )
    adoption: float | None = Field(
        default=None, description="share of seats active in the score's window (active_users; null: no data)"
    )


class HealthColourChanged(HealthEvent):
    """A change between known colours; an account's first known colour is never one."""

    event_type: ClassVar[str] = "bellwether.health.colour_changed.v1"
    old_colour: Colour | None
    new_colour: Colour
    value: float
    reasons: list[Reason]
    computed_at: datetime
    usage_data: bool = Field(
        default=True, description="usage counted in it (false: no usage is data yet for this account)"
    )


class MilestoneAchieved(HealthEvent):
    event_type: ClassVar[str] = "bellwether.health.milestone_achieved.v1"
    milestone_key: str
    name: str
    achieved_on: date
    time_to_value_days: int | None
    is_key: bool = Field(default=False, description="a key milestone")


class MilestoneMissed(HealthEvent):
    event_type: ClassVar[str] = "bellwether.health.milestone_missed.v1"
    milestone_key: str
    name: str
    deadline: date | None
    is_key: bool = Field(default=False, description="a key milestone: alerts the CSM by default")


Quadrant = Literal[
    "engaged_delighted",
    "engaged_not_delighted",
    "not_engaged_delighted",
    "not_engaged_not_delighted",
    "departed",
    "unknown",
]
Influence = Literal["high", "medium", "low"]


class ContactAssessed(HealthEvent):
    """A contact's place on the champion quadrant changed (engagement × delight, sized by influence)."""

    event_type: ClassVar[str] = "bellwether.health.contact_assessed.v1"
    contact_id: str
    label: str = Field(description="how the contact is named in texts: 'the VP Operations'")
    engagement: float | None = Field(description="0-100; None: no data")
    delight: float | None
    influence: Influence | None
    quadrant: Quadrant
    healthy: bool = Field(description="engaged and delighted")
    influential: bool
    why: list[str]
    assessed_at: datetime


class ChampionAtRisk(HealthEvent):
    """An influential champion left the healthy quadrant (or the company)."""

    event_type: ClassVar[str] = "bellwether.health.champion_at_risk.v1"
    contact_id: str
    label: str
    old_quadrant: Quadrant
    new_quadrant: Quadrant
    influence: Influence | None
    why: list[str]
    assessed_at: datetime


class ChampionCoverageChanged(HealthEvent):
    """The account's number of healthy, influential champions changed (against its tier's target)."""

    event_type: ClassVar[str] = "bellwether.health.champion_coverage_changed.v1"
    healthy_influential: int
    target: int
    assessed_at: datetime


class GoalProgressChanged(HealthEvent):
    """A goal's computed status or progress changed (value is not binary: exceeded, met, partly, missed)."""

    event_type: ClassVar[str] = "bellwether.health.goal_progress_changed.v1"
    goal_id: str
    name: str
    old_status: str | None
    status: str
    progress_pct: float | None
    current_value: float | None
    target_value: float | None
    due_date: date | None
    computed_at: datetime


class ExpansionReady(HealthEvent):
    """The account became ready to grow: broad adoption, a healthy influential champion, goals met, organic
    growth, nothing in the way. Renewals opens an expansion opportunity routed by the ownership policy."""

    event_type: ClassVar[str] = "bellwether.health.expansion_ready.v1"
    growth_type: Literal["organic_seats", "consumption", "feature_tier"]
    reasons: list[str]
    seats: int | None
    active_users: int
    assessed_at: datetime


class ValueLadderChanged(HealthEvent):
    """The account moved on the value ladder (health.domain.value): uses it, its problem is solved, its
    goals are met, it gets value others see. ``previous_rung`` None: its first standing (a baseline)."""

    event_type: ClassVar[str] = "bellwether.health.value_ladder_changed.v1"
    rung: Literal["not_using", "uses_it", "problem_solved", "goals_met", "value_others_see"]
    step: int = Field(ge=0, le=4)
    previous_rung: str | None
    reason: str
    assessed_at: datetime


class OnboardingOverdue(HealthEvent):
    """The customer has not confirmed onboarding (technical and process) this long after kickoff."""

    event_type: ClassVar[str] = "bellwether.health.onboarding_overdue.v1"
    onboarding_started_at: date
    days_since_kickoff: int
    confirmed: list[str] = Field(default_factory=list, description="what the customer did confirm, if anything")


EVENTS: tuple[type[Event], ...] = (
    HealthScoreChanged,
    HealthColourChanged,
    MilestoneAchieved,
    MilestoneMissed,
    ContactAssessed,
    ChampionAtRisk,
    ChampionCoverageChanged,
    GoalProgressChanged,
    ExpansionReady,
    ValueLadderChanged,
    OnboardingOverdue,
)
