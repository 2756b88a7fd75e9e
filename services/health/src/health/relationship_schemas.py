"""The relationship's API shapes: contacts and champions, goals, problems, value reviews and blocking requests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class ContactOut(BaseModel):
    contact_id: str
    name: str | None
    title: str | None
    role: str | None
    email: str | None
    is_champion: bool
    departed: bool
    engagement: float | None = Field(description="0-100 from their product use, survey answers, support requests")
    delight: float | None = Field(description="0-100 from their NPS and comment, ticket speed, delivered requests")
    influence: Literal["high", "medium", "low"] | None
    quadrant: str
    healthy: bool
    influential: bool
    why: list[str]
    assessed_at: datetime | None


class ChampionsOut(BaseModel):
    account_id: str
    healthy_influential: int
    target: int | None = Field(description="healthy influential champions wanted for the account's tier")
    contacts: list[ContactOut]


class GoalOut(BaseModel):
    goal_id: str
    name: str
    metric: str | None
    baseline: float | None
    target_value: float | None
    current_value: float | None
    progress_pct: float | None
    status: str
    computed: bool = Field(description="status computed from the numbers (else as the CRM stated it)")
    due_date: date | None
    linked_event: str | None
    linked_window_days: int | None
    problem_severity: int | None
    changed_at: datetime


class ProblemOut(BaseModel):
    problem_id: str
    description: str
    severity: int
    recorded_by: str | None
    recorded_at: datetime


class ValueReviewOut(BaseModel):
    review_id: str
    reviewed_on: date
    outcome: str
    notes: str | None
    goal_ids: list[str]


class BlockingRequestOut(BaseModel):
    request_id: str
    title: str
    kind: str
    status: str
    first_seen_at: datetime


class GoalsOut(BaseModel):
    account_id: str
    problems: list[ProblemOut]
    goals: list[GoalOut]
    value_reviews: list[ValueReviewOut]
    blocking_requests: list[BlockingRequestOut]
