"""Commands: what the scoring use cases ask a repository to store, typed (a row taken apart into
columns; its JSON parts, measures and reasons, are kept whole)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bellwether_shared.documents import Document
from health.domain.champions import Influence, Quadrant


@dataclass(frozen=True, slots=True)
class StoredScore:
    """One account's score as stored: a row of history (when it changed, or rebuilt for a past day)
    and, with the trends and the announced watermark, its current health."""

    account_id: str
    computed_at: datetime
    value: float
    colour: str
    sufficient: bool
    scorecard_id: str
    scorecard_version: int
    measures: list[Document]
    reasons: list[Document]
    trend_7d: float | None = None
    trend_30d: float | None = None
    emitted_value: float | None = None
    emitted_colour: str | None = None
    changed: bool = True


@dataclass(frozen=True, slots=True)
class ContactAssessment:
    """A contact's standing as assessed: engagement, delight, influence, its quadrant, and why."""

    account_id: str
    contact_id: str
    engagement: float | None
    delight: float | None
    influence: Influence | None
    quadrant: Quadrant
    healthy: bool
    influential: bool
    why: list[str]
    assessed_at: datetime


@dataclass(frozen=True, slots=True)
class ValueStanding:
    """An account's rung on the value ladder (domain.value) as stored, and since when."""

    account_id: str
    rung: str
    step: int
    reason: str
    changed_at: datetime
