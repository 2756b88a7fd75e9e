"""Digests: the alerts a recipient did not get at once (low severity, or throttled), rolled into one
message per recipient when the oldest has waited the recipient's period (hourly or daily)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from notifications import alert_repository as ar, delivery_repository as dr, destination_repository as dests
from notifications.domain import messages
from notifications.domain.incidents import Cause
from notifications.domain.rules import Severity
from notifications.settings import NotificationsSettings


def _by_incident(rows: list[Any]) -> list[messages.Alert]:
    """One line per incident: the causes that waited for this digest together, named in one alert."""
    alerts: list[messages.Alert] = []
    groups: dict[str, list[Any]] = {}
    for r in rows:
        if r["incident_id"] is None:
            alerts.append(ar.alert_of(r))
        elif r["incident_id"] not in groups:
            groups[r["incident_id"]] = [r]
            alerts.append(ar.alert_of(r))  # its place in the list: the incident's first cause
        else:
            groups[r["incident_id"]].append(r)
    merged: dict[str, messages.Alert] = {}
    for incident_id, causes in groups.items():
        top = max(Severity.parse(c["severity"]) for c in causes).label
        view = messages.Incident(
            incident_id,
            top,
            len(causes),
            tuple(Cause(c["rule_id"], c["severity"], c["title"], c["text"], c["created_at"]) for c in causes),
        )
        merged[causes[0]["alert_id"]] = messages.merged(ar.alert_of(causes[0]), view)
    return [merged.get(a.alert_id, a) for a in alerts]


def _render(kind: str, recipient: str, period: str, alerts: list[messages.Alert]) -> bytes:
    if kind == "chat":
        return orjson.dumps(messages.digest_chat(recipient, period, alerts))
    if kind == "email":
        subject, body = messages.digest_email(recipient, period, alerts)
        return orjson.dumps({"subject": subject, "body": body})
    return orjson.dumps(messages.digest_webhook(recipient, period, alerts))


async def run_due(
    conn: asyncpg.Connection, *, settings: NotificationsSettings, now: datetime, recipient: str | None = None
) -> list[str]:
    """Build the digests that are due (all of a recipient's waiting alerts, when ``recipient`` is given)."""
    waiting = await ar.waiting_for_digest(conn, recipient=recipient)
    made: list[str] = []
    for w in waiting:
        period_s = settings.digest_hourly_s if w["period"] == "hourly" else settings.digest_daily_s
        if recipient is None and (now - w["oldest"]).total_seconds() < period_s:
            continue
        digest_id = "dig_" + uuid.uuid4().hex
        rows = await ar.take_for_digest(conn, recipient=w["recipient"], digest_id=digest_id)
        if not rows:
            continue
        alerts = _by_incident(list(rows))
        top = max(Severity.parse(a.severity) for a in alerts)
        await ar.insert_digest(
            conn, digest_id=digest_id, recipient=w["recipient"], period=w["period"], alerts=len(alerts), at=now
        )
        deliveries: list[dr.NewDelivery] = []
        for route in await dests.routes(conn, recipient=w["recipient"], role=w["role"]):
            if Severity.parse(route["min_severity"]) > top:
                continue
            deliveries.append(
                dr.NewDelivery(
                    delivery_id="msg_" + uuid.uuid4().hex,
                    destination_id=route["destination_id"],
                    digest_id=digest_id,
                    recipient=w["recipient"],
                    kind=route["kind"],
                    payload=_render(route["kind"], w["recipient"], w["period"], alerts),
                )
            )
        await dr.add_deliveries(conn, rows=deliveries)
        made.append(digest_id)
    return made
