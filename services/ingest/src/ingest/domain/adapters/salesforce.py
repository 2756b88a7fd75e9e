"""Salesforce outbound messages: a SOAP envelope of up to 100 notifications, each one sObject.

The body is untrusted XML: it is parsed with defusedxml (no DTD, no entities, no external references)
after the size cap, and anything else is refused before a single field is read. Opportunities that are
won (``IsWon`` or a ``closed_won_stages`` stage name) → deal.closed_won; Accounts → account.upserted;
other sObjects and other stages are listed as rejected. Salesforce retries a message until it is
acknowledged with ``<Ack>true</Ack>`` (:data:`ACK`), and sends a retried notification with its own id."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from ingest.domain.adapters import Mapped, from_fields, unmapped
from ingest.domain.adapters.fields import QUALIFICATION, account_of, read

OBJECTS = ("account", "deal")
MAX_NOTIFICATIONS = 100
OUTBOUND = "http://soap.sforce.com/2005/09/outbound"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
ACK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
    b'<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack>'
    b"</notificationsResponse></soapenv:Body></soapenv:Envelope>"
)
DEFAULTS: dict[str, Any] = {
    "fields": {
        "account": {
            "account_id": "Id",
            "name": "Name",
            "arr": "ARR__c",
            "seats": "Seats__c",
            "tier": "Tier__c",
            "industry": "Industry",
            "renewal_date": "Renewal_Date__c",
            "owners.csm": "CSM__c",
            "owners.ae": "OwnerId",
            "updated_at": "LastModifiedDate",
        },
        "deal": {
            "deal_id": "Id",
            "account_id": "AccountId",
            "arr": "Amount",
            "list_price": "List_Price__c",
            "term_months": "Term_Months__c",
            "stage": "StageName",
            "closed_at": "CloseDate",
            "ae": "OwnerId",
            "lead_source": "LeadSource",
            **{f"qualification.{k}": "".join(w.capitalize() + "_" for w in k.split("_")) + "_c" for k in QUALIFICATION},
        },
    },
    "closed_won_stages": ["Closed Won"],
    "default_severity": "medium",
}


class NotOutbound(ValueError):
    """Not a Salesforce outbound message (or unsafe XML): refused whole, with the reason."""


@dataclass(frozen=True)
class Message:
    organization_id: str | None
    notifications: list[tuple[str, str, dict[str, Any]]]  # (notification id, sObject type, fields)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _fields(sobject: Element) -> dict[str, Any]:
    return {
        _local(child.tag): None if child.get(XSI_NIL) == "true" else (child.text or "").strip() for child in sobject
    }


def parse(body: bytes) -> Message:
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError) as exc:
        raise NotOutbound(f"not acceptable XML: {type(exc).__name__}") from None
    found = root.find(f".//{{{OUTBOUND}}}notifications")
    if found is None:
        raise NotOutbound("no notifications element: not a Salesforce outbound message")
    items = found.findall(f"{{{OUTBOUND}}}Notification")
    if len(items) > MAX_NOTIFICATIONS:
        raise NotOutbound(f"{len(items)} notifications; Salesforce sends at most {MAX_NOTIFICATIONS}")
    out = []
    for item in items:
        sobject = item.find(f"{{{OUTBOUND}}}sObject")
        notification_id = (item.findtext(f"{{{OUTBOUND}}}Id") or "").strip()
        kind = _local((sobject.get(XSI_TYPE) or "") if sobject is not None else "").rpartition(":")[2]
        out.append((notification_id, kind, _fields(sobject) if sobject is not None else {}))
    return Message(found.findtext(f"{{{OUTBOUND}}}OrganizationId"), out)


def _one(notification_id: str, kind: str, record: dict[str, Any], config: Mapping[str, Any]) -> Mapped:
    message_id = f"salesforce:{notification_id or record.get('Id')}"
    if kind == "Opportunity":
        mapping = config["fields"]["deal"]
        fields, problems = read("deal", record, mapping)
        stage = fields.pop("stage", None)
        if str(record.get("IsWon", "")).lower() != "true" and stage not in config["closed_won_stages"]:
            stages = ", ".join(config["closed_won_stages"])
            return unmapped(message_id, record, mapping["stage"], f"'{stage}' is not won (IsWon, or one of {stages})")
        fields["account_id"] = account_of(config, fields.get("account_id"))
        occurred = {"occurred_at": fields.pop("closed_at")} if "closed_at" in fields else {}
        return from_fields(message_id, record, "deal.closed_won", fields | occurred, problems)
    if kind == "Account":
        fields, problems = read("account", record, config["fields"]["account"])
        fields["account_id"] = account_of(config, fields.get("account_id"))
        if record.get("Id"):  # the Account's Salesforce Id, where scores are written back
            fields["crm_ids"] = {"salesforce": str(record["Id"])}
        updated = fields.pop("updated_at", None)
        occurred = {"occurred_at": updated} if updated else {}
        return from_fields(message_id, record, "account.upserted", fields | occurred, problems)
    return unmapped(message_id, record, "sObject", f"'{kind[:60]}' is not mapped: send Opportunity or Account")


def map_message(message: Message, config: Mapping[str, Any]) -> list[Mapped]:
    return [_one(nid, kind, record, config) for nid, kind, record in message.notifications]
