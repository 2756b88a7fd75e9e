"""Salesforce outbound messages (SOAP) against a real ingest, Kafka and PostgreSQL: acknowledged the way
Salesforce expects and mapped to signals; entity expansion and oversized bodies refused."""

from __future__ import annotations

import httpx

from bellwether_shared import topics
from devkit.kafka import TopicTail
from tests.support.webhooks import QUALIFICATION, rejected, webhook_source


def outbound(org: str, notifications: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{org}</OrganizationId>
   <ActionId>04kxx0000000007EAA</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/60.0/00Dxx0000001gER</EnterpriseUrl>
   <PartnerUrl>https://example.my.salesforce.com/services/Soap/u/60.0/00Dxx0000001gER</PartnerUrl>
   {notifications}
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>""".encode()


def notification(nid: str, sobject: str, fields: dict[str, str]) -> str:
    inner = "".join(f"<sf:{k}>{v}</sf:{k}>" for k, v in fields.items())
    return (
        f'<Notification><Id>{nid}</Id><sObject xsi:type="sf:{sobject}" '
        f'xmlns:sf="urn:sobject.enterprise.soap.sforce.com">{inner}</sObject></Notification>'
    )


async def test_salesforce_outbound_message_is_acknowledged_and_mapped(ingest, kafka_bootstrap, run_id) -> None:
    org = "00Dxx0000001gEREAY"
    src = webhook_source(ingest.url, "salesforce", config={"organization_id": org})
    account = f"001{run_id}"
    qualification = {"".join(w.capitalize() + "_" for w in k.split("_")) + "_c": v for k, v in QUALIFICATION.items()}
    body = outbound(
        org,
        "".join(
            [
                notification(
                    f"04l{run_id}1",
                    "Opportunity",
                    {
                        "Id": f"006{run_id}",
                        "AccountId": account,
                        "Amount": "90000.0",
                        "StageName": "Closed Won",
                        "IsWon": "true",
                        "CloseDate": "2026-11-30",
                        "List_Price__c": "100000",
                        "Term_Months__c": "24",
                        **qualification,
                    },
                ),
                notification(
                    f"04l{run_id}2",
                    "Account",
                    {"Id": account, "Name": "Acme &amp; Sons", "ARR__c": "90000", "Industry": "Retail"},
                ),
                notification(f"04l{run_id}3", "Contact", {"Id": "003xx", "Email": "ada@example.com"}),
            ]
        ),
    )
    url = f"{ingest.url}/v1/webhooks/{src.id}"
    async with TopicTail(kafka_bootstrap, topics.SIGNALS) as tail, httpx.AsyncClient() as http:
        assert (await http.post(url, content=body, params={"key": "bwk_wrong"})).status_code == 401
        wrong_org = await http.post(url, content=outbound("00Dother", ""), params={"key": src.write_key})
        assert wrong_org.status_code == 403
        r = await http.post(url, content=body, params={"key": src.write_key}, headers={"Content-Type": "text/xml"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
        assert b"<Ack>true</Ack>" in r.content
        got = await tail.collect(lambda rs: sum(x.payload.get("source_id") == src.id for x in rs) == 2)
        kept = await rejected(http, ingest.url, src.id)
    mine = {x.envelope.type: x.payload for x in got if x.payload["source_id"] == src.id}
    won = mine["bellwether.signals.deal_closed_won.v2"]
    assert (won["deal_id"], won["account_id"], won["arr"], won["term_months"]) == (f"006{run_id}", account, 90000, 24)
    assert mine["bellwether.signals.account_upserted.v1"]["name"] == "Acme & Sons"
    assert mine["bellwether.signals.account_upserted.v1"]["crm_ids"] == {"salesforce": account}  # scores go back
    assert kept[f"salesforce:04l{run_id}3"]["field"] == "sObject"


async def test_salesforce_refuses_entity_expansion_and_oversized_bodies(ingest, kafka_bootstrap, run_id) -> None:
    src = webhook_source(ingest.url, "salesforce")
    url = f"{ingest.url}/v1/webhooks/{src.id}"
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">'.encode() for i in range(9)
        )
        + b']><notifications xmlns="http://soap.sforce.com/2005/09/outbound">&lol8;</notifications>'
    )
    external = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>&xxe;'
        b"</OrganizationId></notifications>"
    )
    too_many = outbound("00D", notification("04l", "Account", {"Id": "1"}) * 101)
    async with httpx.AsyncClient() as http:
        for bad in (laughs, external, too_many, b"<not-closed"):
            r = await http.post(url, content=bad, params={"key": src.write_key})
            assert (r.status_code, r.json()["code"]) == (400, "invalid_body"), r.text
        huge = outbound("00D", "<x>" + "a" * 600_000 + "</x>")
        r = await http.post(url, content=huge, params={"key": src.write_key})
        assert r.status_code == 413
        # the service is alive and answers the next message at once
        r = await http.post(url, content=outbound("00D", ""), params={"key": src.write_key})
        assert r.status_code == 200 and b"<Ack>true</Ack>" in r.content
