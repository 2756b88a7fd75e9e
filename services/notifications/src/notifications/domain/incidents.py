"""Incidents (domain.md, "One cause, one message"): the alerts about one account that reach one person
within a grouping window are one incident. Its first cause notifies (through the person's noise
control); a later cause joins it and notifies again only when it raises the incident's severity;
otherwise it follows the way the incident went: into the pending message (which is re-rendered to
name it), or into the digest the incident waits for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from notifications.domain.rules import Severity


@dataclass(frozen=True, slots=True)
class IncidentPolicy:
    """How alerts about one account and person group into one incident (settings INCIDENT_*)."""

    window: timedelta = timedelta(minutes=10)
    group_wait: timedelta = timedelta(seconds=5)  # a new incident's message waits this long for more causes


@dataclass(frozen=True, slots=True)
class OpenIncident:
    incident_id: str
    severity: Severity  # the highest of its causes
    last_cause_at: datetime
    told: Severity | None  # the highest severity the person got a message at (None: only digests so far)

    @property
    def sent(self) -> bool:
        return self.told is not None


@dataclass(frozen=True, slots=True)
class Joined:
    incident_id: str | None  # None: this cause opens a new incident
    severity: Severity  # the incident's severity with this cause
    notify: bool  # go through noise control and deliver a message of its own
    reason: str


def join(current: OpenIncident | None, *, severity: Severity, now: datetime, window: timedelta) -> Joined:
    """A cause notifies again only above what the person was told at (or, told nothing yet, above the
    incident's severity): a raise that throttling held back is not taken as told."""
    if current is None or now - current.last_cause_at > window:
        return Joined(None, severity, True, "a new incident")
    top = max(current.severity, severity)
    bar = current.told if current.told is not None else current.severity
    if severity > bar:
        return Joined(
            current.incident_id,
            top,
            True,
            f"raises incident {current.incident_id} from {bar.label} to {severity.label}",
        )
    way = f"told at {bar.label}, no new message" if current.sent else "it waits for the digest with this cause"
    return Joined(current.incident_id, top, False, f"joins incident {current.incident_id} ({way})")


@dataclass(frozen=True, slots=True)
class Cause:
    rule_id: str
    severity: str
    title: str
    text: str
    at: datetime


def headline(causes: Sequence[Cause]) -> str:
    """One line for the whole incident: the most severe cause's title, then what else happened."""
    first, *rest = ordered_causes(causes)
    if not rest:
        return first.title
    return f"{first.title} (and: {'; '.join(c.title.split(': ')[0] for c in rest)})"


def ordered_causes(causes: Sequence[Cause]) -> list[Cause]:
    return sorted(causes, key=lambda c: (-Severity.parse(c.severity), c.at, c.rule_id))
