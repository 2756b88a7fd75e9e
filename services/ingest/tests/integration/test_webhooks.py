"""CRM and support-desk webhooks against a real ingest, Kafka and PostgreSQL. Payloads follow each
vendor's documented shapes: HubSpot's webhooks API subscription events (a JSON array) and the workflow
"Send a webhook" action (one object with its properties), Salesforce outbound messages (SOAP),
Zendesk ticket event webhooks and Intercom notification events; signatures as each vendor makes them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from bellwether_shared import topics
from devkit.kafka import TopicTail
from tests.support.webhooks import ADMIN, QUALIFICATION, hubspot_headers, rejected, webhook_source


async def test_hubspot_workflow_deal_and_subscription_events(ingest, kafka_bootstrap, run_id) -> None:
    secret = "hubspot-client-secret-" + run_id
    src = webhook_source(ingest.url, "hubspot", secret, {"accounts": {"9001": f"acme-{run_id}"}})
    url = f"{ingest.url}/v1/webhooks/{src.id}?object=deal"
    deal = {
        "objectId": int(time.time()),
        "properties": {  # the workflow action, "include all properties" form
            "dealstage": {"value": "closedwon"},
            "amount": {"value": "120000"},
            "list_price": {"value": "150000"},
            "term_months": {"value": "12"},
            "closedate": {"value": "1767225600000"},
            "associatedcompanyid": {"value": "9001"},
            **{k: {"value": v} for k, v in QUALIFICATION.items()},
        },
    }
    body = orjson.dumps(deal)
    subscription = [
        {
            "eventId": 100 + int(run_id[:4], 16),
            "subscriptionId": 25,
            "portalId": 33,
            "appId": 1160452,
            "occurredAt": int(time.time() * 1000),
            "subscriptionType": "company.propertyChange",
            "attemptNumber": 0,
            "objectId": 9001,
            "changeSource": "CRM",
            "propertyName": "industry",
            "propertyValue": "logistics",
        },
        {
            "eventId": 200 + int(run_id[:4], 16),
            "subscriptionId": 26,
            "portalId": 33,
            "appId": 1160452,
            "occurredAt": int(time.time() * 1000),
            "subscriptionType": "deal.propertyChange",
            "attemptNumber": 0,
            "objectId": 555,
            "changeSource": "CRM",
            "propertyName": "dealstage",
            "propertyValue": "closedwon",
        },
    ]
    sub_body = orjson.dumps(subscription)
    sub_url = f"{ingest.url}/v1/webhooks/{src.id}"
    async with TopicTail(kafka_bootstrap, topics.SIGNALS) as tail, httpx.AsyncClient() as http:
        for headers, code in (
            (hubspot_headers("not-the-secret", url, body), "invalid_signature"),
            (hubspot_headers(secret, url, body, at_ms=int(time.time() * 1000) - 6 * 60_000), "stale_request"),
            ({}, "invalid_signature"),
        ):
            r = await http.post(url, content=body, headers=headers)
            assert (r.status_code, r.json()["code"]) == (401, code), r.text
        r = await http.post(url, content=body, headers=hubspot_headers(secret, url, body))
        assert (r.status_code, r.json()["accepted"]) == (200, 1), r.text
        r = await http.post(sub_url, content=sub_body, headers=hubspot_headers(secret, sub_url, sub_body))
        assert (r.status_code, r.json()["accepted"], len(r.json()["rejected"])) == (200, 1, 1), r.text
        got = await tail.collect(lambda rs: sum(x.payload.get("source_id") == src.id for x in rs) == 2)
        kept = await rejected(http, ingest.url, src.id)
    mine = {x.envelope.type: x.payload for x in got if x.payload["source_id"] == src.id}
    won = mine["bellwether.signals.deal_closed_won.v2"]
    assert (won["account_id"], won["arr"], won["list_price"], won["term_months"]) == (
        f"acme-{run_id}",
        120000,
        150000,
        12,
    )
    assert won["qualification"]["problem_severity"] == 4 and won["qualification"]["technology_ready"] is False
    assert won["occurred_at"].startswith("2026-01-01")
    upserted = mine["bellwether.signals.account_upserted.v1"]
    assert (upserted["account_id"], upserted["industry"], upserted["name"]) == (f"acme-{run_id}", "logistics", None)
    assert upserted["crm_ids"] == {"hubspot": "9001"}  # the company, where scores are written back
    reason = kept[f"hubspot:{subscription[1]['eventId']}"]
    assert reason["field"] == "subscriptionType" and "workflow" in reason["reason"]


async def test_hubspot_unmappable_deals_name_the_property(ingest, run_id) -> None:
    src = webhook_source(ingest.url, "hubspot")
    url = f"{ingest.url}/v1/webhooks/{src.id}"
    lost = {
        "objectId": 7,
        "objectType": "DEAL",
        "properties": {"dealstage": "closedwon", "amount": "lots", "associatedcompanyid": "1"},
    }
    open_deal = {"objectId": 8, "objectType": "DEAL", "properties": {"dealstage": "appointmentscheduled"}}
    unknown = {"objectId": 9, "properties": {"name": "?"}}
    async with httpx.AsyncClient() as http:
        answers = [
            await http.post(url, json=b, headers={"X-Write-Key": src.write_key}) for b in (lost, open_deal, unknown)
        ]
        assert [a.json()["rejected"][0]["field"] for a in answers] == ["amount", "dealstage", "objectType"]
        assert "deal.arr: 'lots' is not a number" in answers[0].json()["rejected"][0]["reason"]
        kept = await rejected(http, ingest.url, src.id)
    assert {"hubspot:deal:7:closed_won", "hubspot:deal:8"} <= set(kept)


async def test_a_crm_deal_without_all_hand_off_answers_is_accepted_without_them(
    ingest, kafka_bootstrap, run_id
) -> None:
    """The review opens as "answers missing" downstream; CS records them at kickoff. Half the answers
    are no answers: none is sent, so nothing half-known is scored."""
    src = webhook_source(ingest.url, "hubspot")
    url = f"{ingest.url}/v1/webhooks/{src.id}?object=deal"
    base = {
        "dealstage": "closedwon",
        "amount": "9000",
        "list_price": "9000",
        "term_months": "12",
        "associatedcompanyid": f"c-{run_id}",
    }
    none = {"objectId": 71, "properties": base}
    half = {"objectId": 72, "properties": {**base, "problem_severity": "4", "technology_ready": "true"}}
    async with TopicTail(kafka_bootstrap, topics.SIGNALS) as tail, httpx.AsyncClient() as http:
        for body in (none, half):
            r = await http.post(url, json=body, headers={"X-Write-Key": src.write_key})
            assert (r.status_code, r.json()["accepted"]) == (200, 1), r.text
        got = await tail.collect(lambda rs: sum(x.payload.get("source_id") == src.id for x in rs) == 2)
    deals = [x.payload for x in got if x.payload.get("source_id") == src.id]
    assert {x.envelope.type for x in got if x.payload.get("source_id") == src.id} == {
        "bellwether.signals.deal_closed_won.v2"
    }
    assert [(d["deal_id"], d["qualification"]) for d in sorted(deals, key=lambda d: d["deal_id"])] == [
        ("71", None),
        ("72", None),
    ]


ZENDESK_EVENT = {  # a ticket event webhook, as Zendesk documents it
    "account_id": 22129848,
    "detail": {
        "actor_id": "8447388090494",
        "assignee_id": "8447388090494",
        "brand_id": "8447388085118",
        "created_at": "2025-01-08T10:12:07Z",
        "custom_status": "8447388085374",
        "description": "Can't export",
        "external_id": None,
        "form_id": "8646151517822",
        "group_id": "8447320466814",
        "id": "5158",
        "is_public": True,
        "organization_id": "8447346621310",
        "priority": "HIGH",
        "requester_id": "8447388090494",
        "status": "SOLVED",
        "subject": "Export fails",
        "submitter_id": "1",
        "tags": ["export"],
        "type": "PROBLEM",
        "updated_at": "2025-01-08T10:12:07Z",
        "via": {"channel": "web"},
    },
    "event": {"current": "SOLVED", "previous": "OPEN"},
    "id": "cbe4028c-7239-495d-b020-f22348516046",
    "subject": "zen:ticket:5158",
    "time": "2025-01-08T10:12:07.672717030Z",
    "type": "zen:event-type:ticket.status_changed",
    "zendesk_event_version": "2022-11-06",
}


async def test_zendesk_ticket_event_signed_with_timestamp(ingest, kafka_bootstrap, run_id) -> None:
    secret = "zendesk-signing-secret-" + run_id
    src = webhook_source(ingest.url, "zendesk", secret, {"accounts": {"8447346621310": f"acme-{run_id}"}})
    event = ZENDESK_EVENT | {"id": f"zd-{run_id}"}
    body = orjson.dumps(event)
    url = f"{ingest.url}/v1/webhooks/{src.id}"

    def signed(stamp: str, key: str = secret) -> dict[str, str]:
        digest = hmac.new(key.encode(), stamp.encode() + body, hashlib.sha256).digest()
        return {
            "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "Content-Type": "application/json",
        }

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    old = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with TopicTail(kafka_bootstrap, topics.SIGNALS) as tail, httpx.AsyncClient() as http:
        assert (await http.post(url, content=body, headers=signed(now, "wrong-secret"))).status_code == 401
        assert (await http.post(url, content=body, headers=signed(old))).json()["code"] == "stale_request"
        r = await http.post(url, content=body, headers=signed(now))
        assert (r.status_code, r.json()["accepted"]) == (200, 1), r.text
        got = await tail.collect(lambda rs: any(x.payload.get("source_id") == src.id for x in rs))
    ticket = next(x.payload for x in got if x.payload.get("source_id") == src.id)
    assert (ticket["account_id"], ticket["ticket_id"], ticket["status"], ticket["severity"]) == (
        f"acme-{run_id}",
        "5158",
        "closed",
        "high",
    )
    assert ticket["message_id"] == f"zendesk:zd-{run_id}" and ticket["requester_contact_id"] == "8447388090494"
    assert ticket["contact_reason"] == "bug"  # Zendesk's ticket type PROBLEM, through contact_reasons


def intercom_conversation(run_id: str, topic: str) -> dict[str, Any]:
    return {
        "type": "notification_event",
        "app_id": "ecahpwf5",
        "id": f"notif_{run_id}",
        "topic": topic,
        "delivery_status": "pending",
        "delivery_attempts": 1,
        "delivered_at": 0,
        "first_sent_at": 1700000000,
        "created_at": 1700000000,
        "self": None,
        "links": {},
        "data": {
            "type": "notification_event_data",
            "item": {
                "type": "conversation",
                "id": "147",
                "created_at": 1699999000,
                "state": "closed",
                "priority": "priority",
                "source": {"type": "conversation", "subject": "Billing export", "author": {"type": "user", "id": "u1"}},
                "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "6571a2"}]},
                "custom_attributes": {"account_id": f"acme-{run_id}"},
            },
        },
    }


async def test_intercom_ping_and_conversation_closed(ingest, kafka_bootstrap, run_id) -> None:
    secret = "intercom-client-secret-" + run_id
    src = webhook_source(ingest.url, "intercom", secret)
    url = f"{ingest.url}/v1/webhooks/{src.id}"

    def signed(payload: bytes, key: str = secret) -> dict[str, str]:
        return {
            "X-Hub-Signature": "sha1=" + hmac.new(key.encode(), payload, hashlib.sha1).hexdigest(),
            "Content-Type": "application/json",
        }

    ping = orjson.dumps({"type": "notification_event", "topic": "ping", "id": "notif_ping", "data": {"item": {}}})
    closed = orjson.dumps(intercom_conversation(run_id, "conversation.admin.closed"))
    async with TopicTail(kafka_bootstrap, topics.SIGNALS) as tail, httpx.AsyncClient() as http:
        r = await http.post(url, content=ping, headers=signed(ping))
        assert (r.status_code, r.json()["accepted"], r.json()["rejected"]) == (200, 0, [])
        assert (await http.post(url, content=closed, headers=signed(closed, "nope"))).status_code == 401
        r = await http.post(url, content=closed, headers=signed(closed))
        assert (r.status_code, r.json()["accepted"]) == (200, 1), r.text
        got = await tail.collect(lambda rs: any(x.payload.get("source_id") == src.id for x in rs))
    ticket = next(x.payload for x in got if x.payload.get("source_id") == src.id)
    assert (ticket["account_id"], ticket["status"], ticket["severity"], ticket["subject_line"]) == (
        f"acme-{run_id}",
        "closed",
        "high",
        "Billing export",
    )
    assert ticket["contact_reason"] is None  # a conversation has no ticket type: unclassified, not refused


async def test_field_mapping_is_validated_and_applied(ingest, kafka_bootstrap, run_id) -> None:
    src = webhook_source(ingest.url, "hubspot")
    config_url = f"{ingest.url}/v1/sources/{src.id}/config"
    async with httpx.AsyncClient() as http:
        for bad, field in (
            ({"fields": {"deal": {"arrr": "amount"}}}, "fields.deal.arrr"),
            ({"fields": {"invoice": {}}}, "fields.invoice"),
            ({"organization_id": "00D"}, "organization_id"),
            ({"closed_won_stages": []}, "closed_won_stages"),
            ({"fields": {"account": {"arr": "bad path!"}}}, "fields.account.arr"),
            ({"contact_reasons": {"PRODUCT_ISSUE": "Product Bug"}}, "contact_reasons"),
        ):
            r = await http.put(config_url, json=bad, headers=ADMIN)
            assert (r.status_code, r.json()["field"]) == (422, field), r.text
        mapping = {"fields": {"account": {"arr": "annual_contract_value", "account_id": "product_account_id"}}}
        r = await http.put(config_url, json=mapping, headers=ADMIN)
        assert r.status_code == 200 and r.json()["effective"]["fields"]["account"]["name"] == "name"
        company = {
            "objectId": 1,
            "objectType": "COMPANY",
            "properties": {"product_account_id": f"acct-{run_id}", "annual_contract_value": "48000", "name": "Initech"},
        }
        async with TopicTail(kafka_bootstrap, topics.SIGNALS) as tail:
            r = await http.post(
                f"{config_url.rsplit('/', 3)[0]}/webhooks/{src.id}",
                json=company,
                headers={"Authorization": f"Bearer {src.write_key}"},
            )
            assert r.json()["accepted"] == 1, r.text
            got = await tail.collect(lambda rs: any(x.payload.get("source_id") == src.id for x in rs))
    upserted = next(x.payload for x in got if x.payload.get("source_id") == src.id)
    assert (upserted["account_id"], upserted["arr"], upserted["name"]) == (f"acct-{run_id}", 48000, "Initech")
    assert upserted["crm_ids"] == {"hubspot": "1"}  # whatever account_id maps to, the company's own id


async def test_hubspot_workflow_ticket_and_intercom_ticket(ingest, kafka_bootstrap, run_id) -> None:
    hub = webhook_source(ingest.url, "hubspot", config={"accounts": {"42": f"acme-{run_id}"}})
    intercom_secret = "intercom-secret-" + run_id
    desk = webhook_source(ingest.url, "intercom", intercom_secret)
    ticket = {
        "objectId": 9100,
        "objectType": "TICKET",
        "properties": {  # workflow "Send a webhook", a ticket
            "subject": {"value": "SSO broken"},
            "hs_pipeline_stage": {"value": "4"},
            "hs_ticket_priority": {"value": "HIGH"},
            "hs_ticket_category": {"value": "BILLING_ISSUE"},
            "associatedcompanyid": {"value": "42"},
            "hs_lastmodifieddate": {"value": str(int(time.time() * 1000))},
        },
    }
    submitted = orjson.dumps(
        {
            "type": "notification_event",
            "id": f"notif_t_{run_id}",
            "topic": "ticket.created",
            "app_id": "a",
            "created_at": int(time.time()),
            "data": {
                "type": "notification_event_data",
                "item": {
                    "type": "ticket",
                    "id": "77",
                    "ticket_state": "submitted",
                    "created_at": int(time.time()),
                    "ticket_attributes": {"_default_title_": "Export"},
                    "ticket_type": {"type": "ticket_type", "id": "3", "name": "Feature request"},
                    "custom_attributes": {"account_id": f"ic-{run_id}"},
                    "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c9"}]},
                },
            },
        }
    )
    signature = "sha1=" + hmac.new(intercom_secret.encode(), submitted, hashlib.sha1).hexdigest()
    async with TopicTail(kafka_bootstrap, topics.SIGNALS) as tail, httpx.AsyncClient() as http:
        r = await http.post(f"{ingest.url}/v1/webhooks/{hub.id}", json=ticket, headers={"X-Write-Key": hub.write_key})
        assert r.json()["accepted"] == 1, r.text
        r = await http.post(
            f"{ingest.url}/v1/webhooks/{desk.id}",
            content=submitted,
            headers={"X-Hub-Signature": signature, "Content-Type": "application/json"},
        )
        assert r.json()["accepted"] == 1, r.text
        got = await tail.collect(lambda rs: {x.payload.get("source_id") for x in rs} >= {hub.id, desk.id})
    by_source = {x.payload["source_id"]: x.payload for x in got if x.payload.get("source_id") in (hub.id, desk.id)}
    assert (by_source[hub.id]["account_id"], by_source[hub.id]["status"], by_source[hub.id]["severity"]) == (
        f"acme-{run_id}",
        "closed",
        "high",
    )
    assert (by_source[desk.id]["account_id"], by_source[desk.id]["status"], by_source[desk.id]["ticket_id"]) == (
        f"ic-{run_id}",
        "opened",
        "77",
    )
    assert (by_source[hub.id]["contact_reason"], by_source[desk.id]["contact_reason"]) == ("billing", "feature_gap")
