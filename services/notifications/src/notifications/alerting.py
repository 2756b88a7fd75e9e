"""From an event to alerts: evaluate the rules for the event type, record each alert with why it
fired, decide per recipient (send, duplicate, digest, throttled),
and queue a persistent delivery per destination the recipient is subscribed to. All in the
consumer's transaction, so a redelivered event changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import orjson

from bellwether_shared import tracing
from bellwether_shared.events import notifications as nev
from bellwether_shared.uow import UnitOfWork
from notifications import alert_repository as ar
from notifications import delivery_repository as dr
from notifications import incident_repository as ir
from notifications import repository
from notifications.domain import incidents, messages, noise, texts
from notifications.domain.rules import Condition, Rule, Severity, evaluate


def _row(alert: messages.Alert, key: str) -> dict[str, Any]:
    return {**{f.name: getattr(alert, f.name) for f in fields(alert)}, "key": key}


def to_rule(r: Mapping[str, Any]) -> Rule:
    return Rule(
        rule_id=r["rule_id"],
        name=r["name"],
        event_type=r["event_type"],
        severity=Severity.parse(r["severity"]),
        conditions=tuple(Condition(c["field"], c["op"], c.get("value")) for c in r["conditions"]),
        recipient_roles=tuple(r["recipient_roles"]),
        recipient_people=tuple(r["recipient_people"]),
        dedupe_window_s=r["dedupe_window_s"],
        key_fields=tuple(r["key_fields"]),
        enabled=r["enabled"],
    )


def render(kind: str, alert: messages.Alert, recipient: str, incident: messages.Incident | None = None) -> bytes:
    if kind == "chat":
        return orjson.dumps(messages.chat(messages.merged(alert, incident)))
    if kind == "email":
        subject, body = messages.email(messages.merged(alert, incident))
        return orjson.dumps({"subject": subject, "body": body})
    return orjson.dumps(messages.webhook(alert, recipient, incident))


OpenTask = Callable[..., Awaitable[Any]]


async def on_event(
    uow: UnitOfWork,
    *,
    event_id: str,
    event_type: str,
    p: Mapping[str, Any],
    now: datetime,
    open_task: OpenTask | None = None,
    policy: incidents.IncidentPolicy | None = None,
) -> int:
    """Evaluate the rules for one event; returns how many deliveries were queued. Each alert about an
    account is announced (``alert_raised``, through the outbox in the same transaction). A rule with a
    playbook opens (or updates) a task through ``open_task`` instead (``notifications.tasks``)."""
    conn = uow.conn
    rules = await repository.rules_for(conn, event_type=event_type)
    if not rules:
        return 0
    account = p.get("account_id")
    facts = {
        "event": dict(p),
        "account": await repository.account_facts(conn, account_id=account, today=now.date()) if account else {},
    }
    queued = 0
    for row in rules:
        match = evaluate(to_rule(row), event_type, facts)
        if match is None:
            continue
        title, text = texts.describe(event_type, facts, match.rule.name)
        if row["playbook_id"]:
            if open_task is not None:
                await open_task(
                    uow,
                    rule=row,
                    match=match,
                    event_type=event_type,
                    facts=facts,
                    text=text,
                    now=now,
                    window=(policy or incidents.IncidentPolicy()).window,
                )
            continue
        alert = messages.Alert(
            alert_id=str(uuid.uuid4()),
            rule_id=match.rule.rule_id,
            event_type=event_type,
            event_id=event_id,
            account_id=account,
            account_name=facts["account"].get("name"),
            severity=match.rule.severity.label,
            title=title,
            text=text,
            why=match.why,
            created_at=now,
            facts=facts,
        )
        fresh = await ar.insert_alert(conn, a=_row(alert, match.key))
        if not fresh:
            continue
        outcomes: list[nev.RecipientOutcome] = []
        for recipient in match.recipients:
            n, outcome = await _route(
                conn,
                alert=alert,
                key=match.key,
                rule=match.rule,
                recipient=recipient,
                now=now,
                policy=policy or incidents.IncidentPolicy(),
            )
            queued += n
            outcomes.append(outcome)
        if account:
            uow.emit(
                nev.AlertRaised(
                    account_id=account,
                    alert_id=alert.alert_id,
                    rule_id=alert.rule_id,
                    severity=alert.severity,
                    title=alert.title,
                    text=alert.text,
                    why=alert.why,
                    source_event_type=event_type,
                    source_event_id=event_id,
                    recipients=outcomes,
                    raised_at=now,
                )
            )
    return queued


async def _route(
    conn: asyncpg.Connection,
    *,
    alert: messages.Alert,
    key: str,
    rule: Rule,
    recipient: str,
    now: datetime,
    policy: incidents.IncidentPolicy,
) -> tuple[int, nev.RecipientOutcome]:
    person = await repository.get_person(conn, person_id=recipient)
    prefs = noise.Prefs(
        digest_at_or_below=Severity.parse(person["digest_at_or_below"]) if person else Severity.LOW,
        throttle_per_hour=person["throttle_per_hour"] if person else 10,
    )
    last, sent = await ar.recipient_state(conn, recipient=recipient, key=key, now=now)
    d = noise.decide(
        severity=rule.severity,
        now=now,
        last_same_key_at=last,
        dedupe_window=timedelta(seconds=rule.dedupe_window_s),
        sent_last_hour=sent,
        prefs=prefs,
    )
    joined = None
    if d.outcome is not noise.Outcome.DUPLICATE and alert.account_id:
        joined, d = await _join(
            conn, account=alert.account_id, recipient=recipient, severity=rule.severity, d=d, now=now, policy=policy
        )
    outcome, reason = d.outcome.value, d.reason
    incident_id = joined.incident_id if joined else None
    await ar.add_outcome(
        conn,
        alert_id=alert.alert_id,
        recipient=recipient,
        key=key,
        outcome=outcome,
        reason=reason,
        at=now,
        incident_id=incident_id,
    )
    view = await _incident(conn, joined=joined, sent=d.outcome is noise.Outcome.SEND, now=now)
    queued = 0
    if d.outcome is noise.Outcome.SEND:
        fresh = view is not None and len(view.causes) == 1
        queued = await _deliver(
            conn,
            alert=alert,
            rule=rule,
            recipient=recipient,
            person=person,
            incident=view,
            due=now + policy.group_wait if fresh else now,
        )
        if not queued:
            outcome, reason = "no_destination", f"{reason}, but no destination is subscribed for {recipient}"
            await ar.set_outcome(conn, alert_id=alert.alert_id, recipient=recipient, outcome=outcome, reason=reason)
        elif view is not None:
            await ir.named_in_message(conn, incident_id=view.incident_id, recipient=recipient)
    elif d.outcome is noise.Outcome.GROUPED and view is not None:
        await _rerender(conn, alert=alert, recipient=recipient, incident=view)
    return queued, nev.RecipientOutcome(recipient=recipient, outcome=outcome, reason=reason, incident_id=incident_id)  # type: ignore[arg-type]


async def _join(
    conn: asyncpg.Connection,
    *,
    account: str,
    recipient: str,
    severity: Severity,
    d: noise.Decision,
    now: datetime,
    policy: incidents.IncidentPolicy,
) -> tuple[incidents.Joined, noise.Decision]:
    """This cause's incident for the person: a new one (the noise decision stands), or the open one,
    which it raises (the decision stands) or joins quietly (grouped into its message, or its digest)."""
    row = await ir.open_for(conn, account_id=account, recipient=recipient, since=now - policy.window)
    current = (
        incidents.OpenIncident(
            row["incident_id"],
            Severity.parse(row["severity"]),
            row["last_cause_at"],
            Severity.parse(row["told_severity"]) if row["told_severity"] else None,
        )
        if row is not None
        else None
    )
    joined = incidents.join(current, severity=severity, now=now, window=policy.window)
    if joined.incident_id is None:
        incident_id = "inc_" + uuid.uuid4().hex[:20]
        await ir.open_new(
            conn, incident_id=incident_id, account_id=account, recipient=recipient, severity=severity.label, at=now
        )
        return replace(joined, incident_id=incident_id), d
    if joined.notify:
        return joined, noise.Decision(d.outcome, f"{d.reason}; {joined.reason}")
    quiet = noise.Outcome.GROUPED if current is not None and current.sent else noise.Outcome.DIGEST
    return joined, noise.Decision(quiet, joined.reason)


async def _incident(
    conn: asyncpg.Connection, *, joined: incidents.Joined | None, sent: bool, now: datetime
) -> messages.Incident | None:
    if joined is None or joined.incident_id is None:
        return None
    told = joined.severity.label if sent else None  # the message shows the incident at its severity
    revision = await ir.add_cause(
        conn, incident_id=joined.incident_id, severity=joined.severity.label, told=told, at=now
    )
    rows = await ir.causes(conn, incident_ids=[joined.incident_id])
    return messages.Incident(joined.incident_id, joined.severity.label, revision, tuple(_cause(r) for r in rows))


def _cause(r: Mapping[str, Any]) -> incidents.Cause:
    return incidents.Cause(r["rule_id"], r["severity"], r["title"], r["text"], r["created_at"])


async def _deliver(
    conn: asyncpg.Connection,
    *,
    alert: messages.Alert,
    rule: Rule,
    recipient: str,
    person: Any,
    incident: messages.Incident | None,
    due: datetime,
) -> int:
    caused = tracing.cause_of(alert.account_id) or tracing.current()  # the delivery continues the trace
    deliveries: list[dict[str, Any]] = []
    for route in await dr.routes(conn, recipient=recipient, role=person["role"] if person else None):
        if Severity.parse(route["min_severity"]) > rule.severity:
            continue
        if route["event_types"] and alert.event_type not in route["event_types"]:
            continue
        deliveries.append(
            {
                "delivery_id": "msg_" + uuid.uuid4().hex,
                "destination_id": route["destination_id"],
                "alert_id": alert.alert_id,
                "recipient": recipient,
                "kind": route["kind"],
                "payload": render(route["kind"], alert, recipient, incident),
                "trace": caused,
                "incident_id": incident.incident_id if incident else None,
                "due_at": due,
            }
        )
    return await dr.add_deliveries(conn, rows=deliveries)


async def _rerender(
    conn: asyncpg.Connection, *, alert: messages.Alert, recipient: str, incident: messages.Incident
) -> None:
    """A quiet cause joins the incident's message still waiting to go: it is rendered again to name it
    (same delivery id, so the same ``webhook-id``)."""
    for d in await ir.pending_deliveries(conn, incident_id=incident.incident_id, recipient=recipient):
        first = await ar.get_alert(conn, alert_id=d["alert_id"])
        base = first if first is not None else alert
        await ir.set_payload(conn, delivery_id=d["delivery_id"], payload=render(d["kind"], base, recipient, incident))


async def notify_person(
    conn: asyncpg.Connection,
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
    key = f"{rule.rule_id}:{event_id}"
    if not await ar.insert_alert(conn, a=_row(alert, key)):
        return 0
    queued, _ = await _route(
        conn, alert=alert, key=key, rule=rule, recipient=person, now=now, policy=incidents.IncidentPolicy()
    )
    return queued


async def notify_destination_disabled(
    conn: asyncpg.Connection, *, destination_id: str, reason: str, now: datetime
) -> int:
    """Tell the destination's owner (through their other destinations) that it was disabled."""
    dest = await dr.get_destination(conn, destination_id=destination_id)
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
        conn,
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


async def notify_task_overdue(conn: asyncpg.Connection, *, task: Mapping[str, Any], now: datetime) -> int:
    if not task["owner_id"]:
        return 0
    return await notify_person(
        conn,
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
