"""Events produced by the notifications service (topic notifications.v1), version 1. Key: the account."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from bellwether_shared import topics
from bellwether_shared.events.base import Event


class RecipientOutcome(Event):
    recipient: str
    outcome: Literal["send", "duplicate", "digest", "throttled", "no_destination", "grouped"]
    reason: str
    incident_id: str | None = Field(default=None, description="the incident it is a cause of for this person")


class AlertRaised(Event):
    """A rule fired for an account's event: the alert, why it fired, and what became of it for each
    recipient (sent, held for a digest, throttled, a duplicate). For account views and timelines; the
    deliveries themselves are webhooks, chat and e-mail."""

    producer: ClassVar[str] = "notifications"
    topic: ClassVar[str] = topics.NOTIFICATIONS
    event_type: ClassVar[str] = "bellwether.notifications.alert_raised.v1"
    account_id: str
    alert_id: str
    rule_id: str
    severity: str
    title: str
    text: str
    why: str
    source_event_type: str
    source_event_id: str
    recipients: list[RecipientOutcome] = Field(default_factory=list)
    raised_at: datetime


class TaskEvent(Event):
    producer: ClassVar[str] = "notifications"
    topic: ClassVar[str] = topics.NOTIFICATIONS
    account_id: str
    task_id: str
    playbook_id: str
    title: str
    owner_id: str | None
    priority: str
    due_at: datetime


class TaskOpened(TaskEvent):
    """A playbook's task opened for an account (a rule fired), or an open one was triggered again."""

    event_type: ClassVar[str] = "bellwether.notifications.task_opened.v1"
    why: str
    steps: list[str] = Field(default_factory=list)
    triggers: int = Field(default=1, description="how often it was triggered while open (1: just opened)")
    opened_at: datetime


class TaskClosed(TaskEvent):
    """A task was done (with its outcome) or dismissed (with the reason)."""

    event_type: ClassVar[str] = "bellwether.notifications.task_closed.v1"
    status: Literal["done", "dismissed"]
    outcome: str | None = None
    reason: str | None = None
    closed_by: str
    closed_at: datetime


EVENTS: tuple[type[Event], ...] = (AlertRaised, TaskOpened, TaskClosed)
