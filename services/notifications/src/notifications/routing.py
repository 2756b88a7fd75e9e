"""One alert, one recipient: the recipient's noise control (de-duplication, throttle, digest), the incident
the cause joins, and the deliveries queued for each destination the recipient is subscribed to."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import orjson

from bellwether_shared import tracing
from bellwether_shared.events import notifications as nev
from notifications import (
    alert_repository as ar,
    delivery_repository as dr,
    destination_repository as dests,
    incident_repository as ir,
    repository,
)
from notifications.domain import incidents, messages, noise
from notifications.domain.rules import Rule, Severity


def render(kind: str, alert: messages.Alert, recipient: str, incident: messages.Incident | None = None) -> bytes:
    if kind == "chat":
        return orjson.dumps(messages.chat(messages.merged(alert, incident)))
    if kind == "email":
        subject, body = messages.email(messages.merged(alert, incident))
        return orjson.dumps({"subject": subject, "body": body})
    return orjson.dumps(messages.webhook(alert, recipient, incident))


async def route(
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
    d = await _decide(conn, person=person, recipient=recipient, key=key, rule=rule, now=now)
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
        queued, outcome, reason = await _send(
            conn,
            alert=alert,
            rule=rule,
            recipient=recipient,
            person=person,
            incident=view,
            reason=reason,
            due=now + policy.group_wait if view is not None and len(view.causes) == 1 else now,
        )
    elif d.outcome is noise.Outcome.GROUPED and view is not None:
        await _rerender(conn, alert=alert, recipient=recipient, incident=view)
    told = {"recipient": recipient, "outcome": outcome, "reason": reason, "incident_id": incident_id}
    return queued, nev.RecipientOutcome.model_validate(told)


async def _decide(
    conn: asyncpg.Connection, *, person: Any, recipient: str, key: str, rule: Rule, now: datetime
) -> noise.Decision:
    """The recipient's noise control on this alert (their preferences, or the defaults for an unknown person)."""
    prefs = noise.Prefs(
        digest_at_or_below=Severity.parse(person["digest_at_or_below"]) if person else Severity.LOW,
        throttle_per_hour=person["throttle_per_hour"] if person else 10,
    )
    last, sent = await ar.recipient_state(conn, recipient=recipient, key=key, now=now)
    return noise.decide(
        severity=rule.severity,
        now=now,
        last_same_key_at=last,
        dedupe_window=timedelta(seconds=rule.dedupe_window_s),
        sent_last_hour=sent,
        prefs=prefs,
    )


async def _send(
    conn: asyncpg.Connection,
    *,
    alert: messages.Alert,
    rule: Rule,
    recipient: str,
    person: Any,
    incident: messages.Incident | None,
    reason: str,
    due: datetime,
) -> tuple[int, str, str]:
    """Queue the deliveries of a message to send; (queued, outcome, reason): no destination subscribed is
    an outcome of its own."""
    queued = await _deliver(
        conn, alert=alert, rule=rule, recipient=recipient, person=person, incident=incident, due=due
    )
    if not queued:
        reason = f"{reason}, but no destination is subscribed for {recipient}"
        await ar.set_outcome(
            conn, alert_id=alert.alert_id, recipient=recipient, outcome="no_destination", reason=reason
        )
        return 0, "no_destination", reason
    if incident is not None:
        await ir.named_in_message(conn, incident_id=incident.incident_id, recipient=recipient)
    return queued, "send", reason


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
    deliveries: list[dr.NewDelivery] = []
    for dest in await dests.routes(conn, recipient=recipient, role=person["role"] if person else None):
        if Severity.parse(dest["min_severity"]) > rule.severity:
            continue
        if dest["event_types"] and alert.event_type not in dest["event_types"]:
            continue
        deliveries.append(
            dr.NewDelivery(
                delivery_id="msg_" + uuid.uuid4().hex,
                destination_id=dest["destination_id"],
                alert_id=alert.alert_id,
                recipient=recipient,
                kind=dest["kind"],
                payload=render(dest["kind"], alert, recipient, incident),
                trace=caused,
                incident_id=incident.incident_id if incident else None,
                due_at=due,
            )
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
