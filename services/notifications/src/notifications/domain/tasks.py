"""Playbooks and tasks (pure): which steps a task gets, when it is due, and which changes its lifecycle
allows.

Lifecycle: ``open`` → ``in_progress`` → ``done`` (with an outcome); any open state may be ``snoozed``
until a date (it wakes up ``open`` then), ``dismissed`` (with a reason) or ``done``. A closed task
(done, dismissed) stays closed: a new trigger opens a new task. Only one open task per account and
playbook: a repeat trigger updates it, with a note of why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

Status = Literal["open", "in_progress", "snoozed", "done", "dismissed"]
Action = Literal["start", "snooze", "done", "dismiss", "reopen"]
OPEN: tuple[str, ...] = ("open", "in_progress", "snoozed")
CLOSED: tuple[str, ...] = ("done", "dismissed")
PRIORITY = ("low", "medium", "high", "critical")  # from the rule's severity
EXPOSURES = ("high", "moderate", "low")


@dataclass(frozen=True, slots=True)
class Step:
    title: str
    description: str = ""
    due_days: int = 0
    role: str = "csm"
    exposure: str | None = None  # only for accounts of this exposure level


@dataclass(frozen=True, slots=True)
class Playbook:
    playbook_id: str
    version: int
    name: str
    due_days: int
    steps: tuple[Step, ...]
    segments: tuple[str, ...] = ()  # the engagement models it applies to (empty: every account)

    def applies_to(self, engagement: str | None) -> bool:
        """An account served as ``engagement`` gets this playbook's task (an unknown model: it does,
        rather than nobody acting on it)."""
        return not self.segments or engagement is None or engagement in self.segments


def priority_of(severity: str) -> str:
    return severity if severity in PRIORITY else "low" if severity == "info" else "medium"


def steps_for(playbook: Playbook, *, exposure: str | None, opened_at: datetime) -> list[dict[str, Any]]:
    """The playbook's steps for this account (exposure-specific ones only when they match), each due
    its offset after the task opened."""
    return [
        {
            "title": s.title,
            "description": s.description,
            "role": s.role,
            "due_at": (opened_at + timedelta(days=s.due_days)).isoformat(),
            "done": False,
        }
        for s in playbook.steps
        if s.exposure is None or s.exposure == exposure
    ]


def due_at(playbook: Playbook, opened_at: datetime) -> datetime:
    return opened_at + timedelta(days=playbook.due_days)


class Refused(ValueError):
    """A change the lifecycle does not allow; the message says why."""


@dataclass(frozen=True, slots=True)
class Change:
    status: Status
    snoozed_until: datetime | None = None
    outcome: str | None = None
    reason: str | None = None
    closed: bool = False

    @property
    def closed_as(self) -> Literal["done", "dismissed"]:
        """The closed status a closing change ends in (only asked of a change that closes)."""
        if self.status == "done" or self.status == "dismissed":
            return self.status
        raise Refused(f"status: {self.status} is not a closed status")


def transition(
    status: str,
    action: str,
    *,
    now: datetime,
    until: datetime | None = None,
    outcome: str | None = None,
    reason: str | None = None,
) -> Change:
    if status in CLOSED and action != "reopen":
        raise Refused(f"status: the task is {status}; closed tasks stay closed (reopen it first)")
    match action:
        case "start":
            if status == "in_progress":
                raise Refused("status: the task is already in progress")
            return Change("in_progress")
        case "snooze":
            if until is None or until <= now:
                raise Refused("until: a snooze needs a date in the future")
            return Change("snoozed", snoozed_until=until)
        case "done":
            if not outcome:
                raise Refused("outcome: say what came of it")
            return Change("done", outcome=outcome, closed=True)
        case "dismiss":
            if not reason:
                raise Refused("reason: say why it is dismissed")
            return Change("dismissed", reason=reason, closed=True)
        case "reopen":
            if status not in CLOSED:
                raise Refused(f"status: the task is {status}, not closed")
            return Change("open")
    raise Refused(f"action: unknown action '{action}'")


def wakes(status: str, snoozed_until: datetime | None, now: datetime) -> bool:
    return status == "snoozed" and snoozed_until is not None and snoozed_until <= now


def overdue(status: str, due: datetime, now: datetime) -> bool:
    return status in ("open", "in_progress") and due < now


def may_change(*, role: str, actor: str, owner_id: str | None) -> bool:
    """A CSM changes only their own tasks; a VP of CS and an admin any."""
    if role in ("vp_cs", "admin"):
        return True
    return role == "csm" and actor == owner_id


def owner(
    recipients: Sequence[str], owners_by_role: Mapping[str, Any], roles: Sequence[str]
) -> tuple[str | None, str | None]:
    """The task's owner: the first recipient the rule routes to, with the role it holds on the account."""
    if not recipients:
        return None, None
    who = recipients[0]
    role = next((r for r in roles if owners_by_role.get(r) == who), None)
    return who, role
