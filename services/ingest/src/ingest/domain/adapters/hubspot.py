"""HubSpot: the webhooks API's subscription events (a JSON array; ids and one changed property only) and
the workflow "Send a webhook" action (one object with its properties, all or the chosen ones).

* deal whose stage is a closed-won stage (``closed_won_stages``, default ``closedwon``) → deal.closed_won;
* company → account.upserted; a subscription's ``company.propertyChange`` of a mapped property carries
  that one field, ``company.creation`` the id alone;
* ticket → ticket.changed (status from the pipeline stage, severity from the priority).

Subscription events for deals and tickets carry no amount, term or company: they are listed as
rejected with that reason (use the workflow action for them; README, "Connect your tools")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest.domain.adapters import Mapped, fingerprint, from_fields, unmapped
from ingest.domain.adapters.fields import QUALIFICATION, Unreadable, account_of, coerce, read, reason_of

OBJECTS = ("account", "deal", "ticket")
DEFAULTS: dict[str, Any] = {
    "fields": {
        "account": {
            "account_id": "hs_object_id",
            "name": "name",
            "arr": "arr",
            "seats": "seats",
            "tier": "tier",
            "industry": "industry",
            "renewal_date": "renewal_date",
            "owners.csm": "hubspot_owner_id",
            "updated_at": "hs_lastmodifieddate",
        },
        "deal": {
            "deal_id": "hs_object_id",
            "account_id": "associatedcompanyid",
            "arr": "amount",
            "list_price": "list_price",
            "term_months": "term_months",
            "stage": "dealstage",
            "closed_at": "closedate",
            "ae": "hubspot_owner_id",
            "lead_source": "lead_source",
            **{f"qualification.{k}": k for k in QUALIFICATION},
        },
        "ticket": {
            "ticket_id": "hs_object_id",
            "account_id": "associatedcompanyid",
            "status": "hs_pipeline_stage",
            "severity": "hs_ticket_priority",
            "subject_line": "subject",
            "opened_at": "createdate",
            "updated_at": "hs_lastmodifieddate",
            "contact_reason": "hs_ticket_category",
        },
    },
    "contact_reasons": {  # HubSpot's default ticket categories
        "product_issue": "bug",
        "billing_issue": "billing",
        "feature_request": "feature_gap",
        "general_inquiry": "how_to",
    },
    "closed_won_stages": ["closedwon"],
    "ticket_opened_stages": ["1"],
    "ticket_closed_stages": ["4"],
    "default_severity": "medium",
}
_TYPES = {
    "company": "account",
    "companies": "account",
    "deal": "deal",
    "deals": "deal",
    "ticket": "ticket",
    "tickets": "ticket",
    "0-2": "account",
    "0-3": "deal",
    "0-5": "ticket",
}


def _subscription(event: Any, config: Mapping[str, Any]) -> Mapped:
    if not isinstance(event, dict):
        return unmapped("hubspot:?", event, "", "each subscription event must be a JSON object")
    message_id = f"hubspot:{event.get('eventId') or fingerprint(event)}"
    kind = str(event.get("subscriptionType", ""))
    obj, _, change = kind.partition(".")
    company = config["fields"]["account"]
    if obj == "company" and change in ("creation", "propertyChange"):
        if company["account_id"] != "hs_object_id":
            return unmapped(
                message_id,
                event,
                "objectId",
                "subscription events carry HubSpot's ids only, but "
                f"account_id maps to '{company['account_id']}': use the workflow webhook",
            )
        record: dict[str, Any] = {"hs_object_id": event.get("objectId")}
        wanted = {"account_id": "hs_object_id"}
        if change == "propertyChange":
            name = event.get("propertyName")
            field = next((f for f, p in company.items() if p == name and f != "account_id"), None)
            if field is None:
                return unmapped(message_id, event, "propertyName", f"'{name}' is not mapped to an account field")
            record[str(name)] = event.get("propertyValue")
            wanted[field] = str(name)
        fields, problems = read("account", record, wanted)
        fields["account_id"] = account_of(config, fields.get("account_id"))
        fields |= _crm_id(event.get("objectId"))
        at = event.get("occurredAt")
        return from_fields(message_id, event, "account.upserted", fields | _at(at), problems)
    if obj in ("deal", "ticket"):
        return unmapped(
            message_id,
            event,
            "subscriptionType",
            f"{kind}: subscription events carry ids only (no "
            "amount, term or company); send deals and tickets with a workflow webhook",
        )
    return unmapped(message_id, event, "subscriptionType", f"'{kind[:60]}' is not mapped to a signal")


def _crm_id(object_id: Any) -> dict[str, Any]:
    """The company's HubSpot id, where scores are written back (whatever account_id maps to)."""
    return {"crm_ids": {"hubspot": str(object_id)}} if object_id not in (None, "") else {}


def _at(value: Any) -> dict[str, Any]:
    try:
        return {"occurred_at": coerce("datetime", value)} if value not in (None, "") else {}
    except Unreadable:
        return {}


def _deal(message_id: str, body: Any, record: Any, config: Mapping[str, Any]) -> Mapped:
    mapping = config["fields"]["deal"]
    fields, problems = read("deal", record, mapping)
    stage = fields.pop("stage", None)
    if stage is None and not problems:
        return unmapped(message_id, body, mapping["stage"], "is missing: cannot tell whether the deal is won")
    if stage not in config["closed_won_stages"]:
        stages = ", ".join(config["closed_won_stages"])
        return unmapped(message_id, body, mapping["stage"], f"'{stage}' is not a closed-won stage ({stages})")
    fields["account_id"] = account_of(config, fields.get("account_id"))
    occurred = {"occurred_at": fields.pop("closed_at")} if "closed_at" in fields else {}
    return from_fields(f"{message_id}:closed_won", body, "deal.closed_won", fields | occurred, problems)


def _ticket(message_id: str, body: Any, record: Any, config: Mapping[str, Any]) -> Mapped:
    fields, problems = read("ticket", record, config["fields"]["ticket"])
    stage = fields.pop("status", None)
    fields["status"] = (
        "closed"
        if stage in config["ticket_closed_stages"]
        else "opened"
        if stage in config["ticket_opened_stages"]
        else "updated"
    )
    severity = str(fields.get("severity") or config["default_severity"]).lower()
    fields["severity"] = severity if severity in ("low", "medium", "high", "urgent") else config["default_severity"]
    fields["account_id"] = account_of(config, fields.get("account_id"))
    reason_of(config, fields)
    updated = fields.pop("updated_at", None)
    message = f"{message_id}:{updated or fingerprint(body)}"
    return from_fields(message, body, "ticket.changed", fields | _at(updated), problems)


def _workflow(body: dict[str, Any], object_hint: str | None, config: Mapping[str, Any]) -> Mapped:
    raw_type = str(body.get("objectType") or object_hint or "").lower()
    obj = _TYPES.get(raw_type)
    props = body.get("properties")
    record: dict[str, Any] = props if isinstance(props, dict) else body
    record = {"hs_object_id": body.get("objectId") or body.get("hs_object_id"), **record}
    if obj is None:
        return unmapped(
            f"hubspot:{fingerprint(body)}",
            body,
            "objectType",
            "cannot tell the object: add ?object=deal, company or ticket to the webhook URL",
        )
    message_id = f"hubspot:{obj}:{record.get('hs_object_id')}"
    if obj == "deal":
        return _deal(message_id, body, record, config)
    if obj == "ticket":
        return _ticket(message_id, body, record, config)
    fields, problems = read("account", record, config["fields"]["account"])
    fields["account_id"] = account_of(config, fields.get("account_id"))
    fields |= _crm_id(record.get("hs_object_id"))
    updated = fields.pop("updated_at", None)
    message = f"{message_id}:{updated or fingerprint(body)}"
    return from_fields(message, body, "account.upserted", fields | _at(updated), problems)


def map_payload(body: Any, config: Mapping[str, Any], *, object_hint: str | None = None) -> list[Mapped]:
    if isinstance(body, list):
        return [_subscription(event, config) for event in body]
    if isinstance(body, dict):
        return [_workflow(body, object_hint, config)]
    return [unmapped(f"hubspot:{fingerprint(body)}", body, "", "must be a JSON object or array")]
