"""Alerts the service raises itself, for one person: a destination disabled (to its owner) and a task
overdue (to its owner). They go through the same routing and noise control as every other alert, and
those about an account are announced like every other (``alert_raised``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bellwether_shared.uow import UnitOfWork
from notifications import destination_repository as dests
from notifications.alerting import raise_alert
from notifications.domain import incidents, messages
from notifications.domain.rules import Rule, Severity


async def notify_person(
    uow: UnitOfWork,
    *,
    rule: Rule,
    person: str,
    title: str,
    text: str,
    event_type: str,
    event_id: str,
    account_id: str | None,
    now: datetime,
    facts: dict[str, Any] | None = None,
) -> int:
    """An alert the service raises itself for one person (a disabled destination, an overdue task),
    through the same routing and noise control as every other."""
    alert = messages.Alert(
        alert_id=str(uuid.uuid4()),
        rule_id=rule.rule_id,
        event_type=event_type,
        event_id=event_id,
        account_id=account_id,
        account_name=None,
        severity=rule.severity.label,
        title=title,
        text=text,
        why=f"rule '{rule.name}'",
        created_at=now,
        facts=facts or {"event": {}},
    )
    return await raise_alert(
        uow,
        alert=alert,
        key=f"{rule.rule_id}:{event_id}",
        rule=rule,
        recipients=(person,),
        policy=incidents.IncidentPolicy(),
    )


async def notify_destination_disabled(uow: UnitOfWork, *, destination_id: str, reason: str, now: datetime) -> int:
    """Tell the destination's owner (through their other destinations) that it was disabled."""
    dest = await dests.get_destination(uow.conn, destination_id=destination_id)
    if dest is None or not dest["owner_person_id"]:
        return 0
    rule = Rule(
        rule_id="system:destination-disabled",
        name="Alert destination disabled",
        event_type="system",
        severity=Severity.HIGH,
        recipient_people=(dest["owner_person_id"],),
        dedupe_window_s=0,
    )
    return await notify_person(
        uow,
        rule=rule,
        person=dest["owner_person_id"],
        title=f"Alert destination disabled: {dest['name']}",
        text=f"{dest['target']} was disabled: {reason}",
        event_type="bellwether.notifications.destination_disabled",
        event_id=f"disabled:{destination_id}:{now.isoformat()}",
        account_id=None,
        now=now,
        facts={"event": {"destination_id": destination_id}},
    )


TASK_OVERDUE = Rule(
    rule_id="system:task-overdue",
    name="Task overdue",
    event_type="system",
    severity=Severity.MEDIUM,
    dedupe_window_s=86400,
)


async def notify_task_overdue(uow: UnitOfWork, *, task: Mapping[str, Any], now: datetime) -> int:
    if not task["owner_id"]:
        return 0
    return await notify_person(
        uow,
        rule=TASK_OVERDUE,
        person=task["owner_id"],
        title=f"Task overdue: {task['title']}",
        text=f"'{task['title']}' was due {task['due_at']:%Y-%m-%d %H:%M} UTC ({task['priority']} priority)",
        event_type="bellwether.notifications.task_overdue",
        event_id=f"overdue:{task['task_id']}",
        account_id=task["account_id"],
        now=now,
        facts={"event": {"task_id": task["task_id"]}},
    )
