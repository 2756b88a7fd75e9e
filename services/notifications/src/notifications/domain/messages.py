"""What an alert or a digest looks like at each destination: a JSON document for signed webhooks,
a Slack-compatible message for chat incoming webhooks, and a subject and text body for email."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from notifications.domain.incidents import Cause, headline, ordered_causes

EMOJI = {
    "critical": ":rotating_light:",
    "high": ":red_circle:",
    "medium": ":large_orange_circle:",
    "low": ":white_circle:",
    "info": ":information_source:",
}


@dataclass(frozen=True, slots=True)
class Alert:
    alert_id: str
    rule_id: str
    event_type: str
    event_id: str
    account_id: str | None
    account_name: str | None
    severity: str
    title: str
    text: str
    why: str
    created_at: datetime
    facts: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Incident:
    """What one person is told about one account: every cause, at the highest severity of them."""

    incident_id: str
    severity: str
    revision: int
    causes: tuple[Cause, ...]


def merged(alert: Alert, incident: Incident | None) -> Alert:
    """The alert as the person reads it: with more than one cause, the incident's severity, a headline
    and a line per cause (most severe first)."""
    if incident is None or len(incident.causes) < 2:
        return alert
    lines = [f"{c.title}: {c.text}" for c in ordered_causes(incident.causes)]
    return replace(alert, severity=incident.severity, title=headline(incident.causes), text="\n".join(lines))


def webhook(alert: Alert, recipient: str | None = None, incident: Incident | None = None) -> dict[str, Any]:
    shown = merged(alert, incident)
    doc = _webhook(shown, recipient)
    if incident is not None:
        doc["incident"] = {
            "id": incident.incident_id,  # stable across its updates: a receiver upserts on it
            "severity": incident.severity,
            "revision": incident.revision,
            "causes": [_cause(c) for c in ordered_causes(incident.causes)],
        }
    return doc


def _cause(c: Cause) -> dict[str, Any]:
    return {"rule_id": c.rule_id, "severity": c.severity, "title": c.title, "text": c.text, "at": c.at.isoformat()}


def _webhook(alert: Alert, recipient: str | None) -> dict[str, Any]:
    return {
        "type": "bellwether.alert.v1",
        "alert_id": alert.alert_id,
        "recipient": recipient,
        "rule_id": alert.rule_id,
        "severity": alert.severity,
        "title": alert.title,
        "text": alert.text,
        "why": alert.why,
        "account_id": alert.account_id,
        "event": {"id": alert.event_id, "type": alert.event_type, "data": alert.facts.get("event", {})},
        "created_at": alert.created_at.isoformat(),
    }


def mrkdwn(value: str) -> str:
    """Slack-compatible escaping of a value from outside (account names, ticket subjects, reasons):
    ``&``, ``<`` and ``>`` become entities, so no value can plant ``<!channel>``, a mention or a
    disguised ``<url|link>``."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def header(value: str) -> str:
    """An e-mail header value on one line: CR, LF and other control characters become spaces."""
    return "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in value).strip()


def chat(alert: Alert) -> dict[str, Any]:
    title, text, why = mrkdwn(alert.title), mrkdwn(alert.text), mrkdwn(alert.why)
    head = f"{EMOJI.get(alert.severity, '')} *{title}*".strip()
    return {
        "text": f"{title}: {text}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{head}\n{text}"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{mrkdwn(alert.severity)} · {why}"}]},
        ],
    }


def email(alert: Alert) -> tuple[str, str]:
    subject = header(f"[{alert.severity.upper()}] {alert.title}")
    body = f"{alert.text}\n\nWhy you got this: {alert.why}\nAlert {alert.alert_id} at {alert.created_at.isoformat()}\n"
    return subject, body


def digest_webhook(recipient: str, period: str, alerts: Sequence[Alert]) -> dict[str, Any]:
    return {
        "type": "bellwether.digest.v1",
        "recipient": recipient,
        "period": period,
        "alerts": [_webhook(a, None) for a in alerts],
    }


def digest_chat(recipient: str, period: str, alerts: Sequence[Alert]) -> dict[str, Any]:
    lines = [f"• [{mrkdwn(a.severity)}] {mrkdwn(a.title)}: {mrkdwn(a.text)}" for a in alerts]
    return {"text": f"Your {mrkdwn(period)} digest: {len(alerts)} alert(s)\n" + "\n".join(lines)}


def digest_email(recipient: str, period: str, alerts: Sequence[Alert]) -> tuple[str, str]:
    subject = header(f"Your {period} Bellwether digest: {len(alerts)} alert(s)")
    body = "\n".join(f"- [{a.severity}] {a.title}: {a.text} (why: {a.why})" for a in alerts) + "\n"
    return subject, body
