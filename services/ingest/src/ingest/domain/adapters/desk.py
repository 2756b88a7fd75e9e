"""Support desks: Zendesk event webhooks and Intercom notifications → ticket.changed.

* Zendesk (webhooks subscribed to ticket events, ``type: zen:event-type:ticket.*``, the ticket in
  ``detail``): status NEW/OPEN/PENDING/HOLD is open (``opened`` for ticket.created), SOLVED/CLOSED is
  ``closed``; priority LOW/NORMAL/HIGH/URGENT → low/medium/high/urgent; the account is the ticket's
  organisation (``accounts`` translates Zendesk's ids to ours).
* Intercom (``notification_event``, the object in ``data.item``): conversation and ticket topics;
  ``ping`` (sent when the webhook is saved) maps to nothing and is answered 200. Intercom's objects
  name no company: the account is read from ``custom_attributes.account_id`` unless mapped elsewhere.

Paths in these mappings start at the whole payload."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest.domain.adapters import Mapped, fingerprint, from_fields, unmapped
from ingest.domain.adapters.fields import account_of, read, reason_of

OBJECTS = ("ticket",)
ZENDESK_DEFAULTS: dict[str, Any] = {
    "fields": {
        "ticket": {
            "ticket_id": "detail.id",
            "account_id": "detail.organization_id",
            "status": "detail.status",
            "severity": "detail.priority",
            "subject_line": "detail.subject",
            "requester_contact_id": "detail.requester_id",
            "opened_at": "detail.created_at",
            "contact_reason": "detail.type",
        }
    },
    "default_severity": "medium",
    "contact_reasons": {"question": "how_to", "incident": "bug", "problem": "bug"},  # Zendesk's ticket types
}
INTERCOM_DEFAULTS: dict[str, Any] = {
    "fields": {
        "ticket": {
            "ticket_id": "data.item.id",
            "account_id": "data.item.custom_attributes.account_id",
            "status": "data.item.state",
            "severity": "data.item.priority",
            "subject_line": "data.item.source.subject",
            "requester_contact_id": "data.item.contacts.contacts.0.id",
            "opened_at": "data.item.created_at",
            "contact_reason": "data.item.ticket_type.name",
        }
    },
    "default_severity": "medium",
    "contact_reasons": {"bug report": "bug", "bug": "bug", "question": "how_to", "feature request": "feature_gap"},
}
_SEVERITY = {
    "low": "low",
    "normal": "medium",
    "medium": "medium",
    "high": "high",
    "urgent": "urgent",
    "priority": "high",
    "not_priority": "medium",
}
_CLOSED = {"solved", "closed", "resolved"}


def _ticket(message_id: str, body: Any, config: Mapping[str, Any], *, created: bool, closed: bool) -> Mapped:
    fields, problems = read("ticket", body, config["fields"]["ticket"])
    state = str(fields.pop("status", "") or "").lower()
    fields["status"] = "closed" if closed or state in _CLOSED else "opened" if created else "updated"
    fields["severity"] = _SEVERITY.get(str(fields.get("severity") or "").lower(), config["default_severity"])
    fields["account_id"] = account_of(config, fields.get("account_id"))
    reason_of(config, fields)
    return from_fields(message_id, body, "ticket.changed", fields, problems)


def map_zendesk(body: Any, config: Mapping[str, Any]) -> list[Mapped]:
    if not isinstance(body, dict):
        return [unmapped(f"zendesk:{fingerprint(body)}", body, "", "must be a JSON object")]
    message_id = f"zendesk:{body.get('id') or fingerprint(body)}"
    kind = str(body.get("type", ""))
    if not kind.startswith("zen:event-type:ticket."):
        return [unmapped(message_id, body, "type", f"'{kind[:60]}' is not a ticket event (zen:event-type:ticket.*)")]
    occurred = {"occurred_at": body["time"]} if isinstance(body.get("time"), str) else {}
    mapped = _ticket(message_id, body, config, created=kind.endswith(".created"), closed=False)
    if mapped.signal is not None:
        mapped.signal.update(occurred)
    return [mapped]


def map_intercom(body: Any, config: Mapping[str, Any]) -> list[Mapped]:
    if not isinstance(body, dict):
        return [unmapped(f"intercom:{fingerprint(body)}", body, "", "must be a JSON object")]
    topic = str(body.get("topic", ""))
    if topic == "ping":
        return []
    message_id = f"intercom:{body.get('id') or fingerprint(body)}"
    if not topic.startswith(("conversation.", "ticket.")) or topic.endswith(".deleted"):
        return [unmapped(message_id, body, "topic", f"'{topic[:60]}' is not a conversation or ticket topic")]
    item = (body.get("data") or {}).get("item") if isinstance(body.get("data"), dict) else None
    if isinstance(item, dict) and item.get("type") == "ticket":  # a ticket's state and title have other names
        title = (item.get("ticket_attributes") or {}).get("_default_title_")
        item = {"state": item.get("ticket_state"), "source": {"subject": title}, **item}
        body = {**body, "data": {**body["data"], "item": item}}
    created = topic.endswith((".user.created", "ticket.created", ".admin.single.created"))
    closed = topic.endswith((".admin.closed", "ticket.closed"))
    mapped = _ticket(message_id, body, config, created=created, closed=closed)
    if mapped.signal is not None and isinstance(body.get("created_at"), int):
        mapped.signal["occurred_at"] = body["created_at"]
    return [mapped]
