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


class HealthColourChanged(HealthEvent):
    event_type: ClassVar[str] = "bellwether.health.colour_changed.v1"
    old_colour: Colour | None
    new_colour: Colour
    value: float
    reasons: list[Reason]
    computed_at: datetime


class MilestoneAchieved(HealthEvent):
    event_type: ClassVar[str] = "bellwether.health.milestone_achieved.v1"
    milestone_key: str
    name: str
    achieved_on: date
    time_to_value_days: int | None


class MilestoneMissed(HealthEvent):
    event_type: ClassVar[str] = "bellwether.health.milestone_missed.v1"
    milestone_key: str
    name: str
    deadline: date | None


EVENTS: tuple[type[Event], ...] = (HealthScoreChanged, HealthColourChanged, MilestoneAchieved, MilestoneMissed)
