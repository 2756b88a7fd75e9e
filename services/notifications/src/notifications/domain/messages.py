"""What an alert or a digest looks like at each destination: a JSON document for signed webhooks,
a Slack-compatible message for chat incoming webhooks, and a subject and text body for email."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


def webhook(alert: Alert, recipient: str | None = None) -> dict[str, Any]:
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
        "alerts": [webhook(a) for a in alerts],
    }


def digest_chat(recipient: str, period: str, alerts: Sequence[Alert]) -> dict[str, Any]:
    lines = [f"• [{mrkdwn(a.severity)}] {mrkdwn(a.title)}: {mrkdwn(a.text)}" for a in alerts]
    return {"text": f"Your {mrkdwn(period)} digest: {len(alerts)} alert(s)\n" + "\n".join(lines)}


def digest_email(recipient: str, period: str, alerts: Sequence[Alert]) -> tuple[str, str]:
    subject = header(f"Your {period} Bellwether digest: {len(alerts)} alert(s)")
    body = "\n".join(f"- [{a.severity}] {a.title}: {a.text} (why: {a.why})" for a in alerts) + "\n"
    return subject, body
