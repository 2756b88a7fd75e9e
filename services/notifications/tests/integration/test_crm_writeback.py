"""Scores written back to the CRM, for real: health, renewals and ingest events on real Kafka, the
notifications service's state in real PostgreSQL, and a local CRM (``devkit.crm_receiver``) that checks
every request against HubSpot's and Salesforce's documented shapes and answers as they do, 429s and
partial failures included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bellwether_shared.events import health as hev
from devkit.crm_receiver import CrmReceiver
from notifications.domain import crm
from tests.support.notifications import AUTH, _publish, risk
from tests.support.wait import eventually

HS = crm.DEFAULT_FIELDS["hubspot"]
SF = crm.DEFAULT_FIELDS["salesforce"]


@pytest.fixture
async def http(notifications: Any) -> Any:
    async with httpx.AsyncClient(base_url=notifications.url, timeout=15) as client:
        yield client


@pytest.fixture
def rx() -> Any:
    r = CrmReceiver(hubspot_properties=set(HS.values()), salesforce_fields=set(SF.values())).start()
    yield r
    r.stop()


@pytest.fixture
async def destinations(http: httpx.AsyncClient) -> Any:
    made: list[str] = []
    yield made
    for d in made:  # every later account event would queue writes to it
        await http.delete(f"/v1/crm/destinations/{d}", headers=AUTH)


async def _destination(http: httpx.AsyncClient, rx: CrmReceiver, made: list[str], kind: str, **extra: Any) -> str:
    body = {"name": f"{kind} test", "kind": kind, "base_url": rx.base_url, "token": rx.token, "coalesce_s": 0.3}
    r = await http.post("/v1/crm/destinations", json=body | extra, headers=AUTH)
    assert r.status_code == 201, r.text
    assert rx.token not in r.text  # the token is never shown again
    made.append(r.json()["destination_id"])
    return str(r.json()["destination_id"])


async def _map(http: httpx.AsyncClient, acct: str, **ids: str) -> None:
    """The account's CRM record ids, as an admin sets them (account.upserted's crm_ids do the same, tested
    in test_handlers.py; on signals.v1 the session's health service would score these accounts too)."""
    r = await http.put(f"/v1/crm/accounts/{acct}/records", json=ids, headers=AUTH)
    assert r.status_code == 200 and r.json()["records"] == ids, r.text


def _score(acct: str, value: float, colour: str, delta: float | None) -> Any:
    e = hev.HealthScoreChanged(
        account_id=acct,
        old_value=None if delta is None else value - delta,
        new_value=value,
        old_colour=None,
        new_colour=colour,  # type: ignore[arg-type]
        delta=delta,
        sufficient=True,
        scorecard_id="default",
        scorecard_version=1,
        reasons=[],
        computed_at=datetime.now(UTC),
        baseline=delta is None,
    )
    return e.envelope(event_id=str(uuid.uuid4()), source="bellwether/health")


async def _records(http: httpx.AsyncClient, dest: str, **q: str) -> dict[str, Any]:
    r = await http.get(f"/v1/crm/destinations/{dest}/records", params=q, headers=AUTH)
    assert r.status_code == 200, r.text
    return {x["account_id"]: x for x in r.json()["items"]}


def _only_changes(rx: CrmReceiver, record: str) -> None:
    """Every write to the record carried only values it did not show yet."""
    shown: dict[str, Any] = {}
    for _, _rid, values in (w for w in rx.writes if w[1] == record):
        assert values and all(shown.get(k) != val for k, val in values.items()), (values, shown)
        shown.update(values)


async def test_hubspot_shows_score_colour_trend_risk_and_tasks_and_nothing_is_sent_twice(
    http, rx, destinations, kafka_bootstrap, run_id
) -> None:
    acct = f"hs-{run_id}"
    rx.companies.update({"9001": {}})
    dest = await _destination(http, rx, destinations, "hubspot")
    await _map(http, acct, hubspot="9001")
    await _publish(kafka_bootstrap, [_score(acct, 60, "yellow", None), _score(acct, 45, "red", -15)])
    await risk(kafka_bootstrap, acct, f"opp-{run_id}")

    def shows() -> bool:
        c = rx.companies["9001"]
        return bool(c.get(HS["health_score"]) == "45" and c.get(HS["renewal_risk"]) == "medium")

    await eventually(lambda: _true(shows()), what="HubSpot company shows the score and the risk")
    tasks = await http.get("/v1/tasks", params={"account_id": acct, "status": "open"}, headers=AUTH)
    open_tasks = str(len(tasks.json()["items"]))

    async def settled() -> bool:
        rec = (await _records(http, dest, account_id=acct)).get(acct)
        return bool(rec is not None and rec["state"] == "synced" and rec["dirty"] is False)

    await eventually(settled, what="the account's write settled")
    assert rx.companies["9001"] == {
        HS["health_score"]: "45",
        HS["health_colour"]: "red",
        HS["health_trend"]: "declining",
        HS["renewal_risk"]: "medium",
        HS["renewal_risk_reasons"]: "health is red (30)",
        HS["open_tasks"]: open_tasks,
    }
    _only_changes(rx, "9001")
    before = len([w for w in rx.writes if w[1] == "9001"])

    # the same risk again (a re-assessment) and the same record id: nothing new to show, so nothing is sent.
    # The sentinel is a real change behind them on the same partition (the account's key): once it shows,
    # the repeats were handled, and the only write since is the change alone.
    await risk(kafka_bootstrap, acct, f"opp-{run_id}")
    await _map(http, acct, hubspot="9001")
    await risk(kafka_bootstrap, acct, f"opp-{run_id}", level="high")
    await eventually(lambda: _true(rx.companies["9001"].get(HS["renewal_risk"]) == "high"), what="the change shows")
    since = [w[2] for w in rx.writes if w[1] == "9001"][before:]
    assert since == [{HS["renewal_risk"]: "high"}]
    assert rx.violations == []


async def test_a_rate_limit_pauses_a_deleted_company_fails_visibly_and_a_late_mapping_is_written(
    http, rx, destinations, kafka_bootstrap, run_id
) -> None:
    a, gone, later = f"rl-a-{run_id}", f"rl-b-{run_id}", f"rl-c-{run_id}"
    rx.companies.update({"9101": {}, "9102": {}, "9103": {}})
    rx.deleted.add("9102")
    rx.script.append(429)
    dest = await _destination(http, rx, destinations, "hubspot")
    await _map(http, a, hubspot="9101")
    await _map(http, gone, hubspot="9102")
    await _publish(kafka_bootstrap, [_score(x, 70, "green", None) for x in (a, gone, later)])

    async def states() -> dict[str, Any] | None:
        recs = await _records(http, dest)
        recs |= await _records(http, dest, state="unmapped", account_id=later)  # known, with no record id
        done = all(x in recs and recs[x]["state"] in ("synced", "failed", "unmapped") for x in (a, gone, later))
        return recs if done and rx.companies["9101"].get(HS["health_score"]) == "70" else None

    recs = await eventually(states, what="every account settled")
    assert recs[a]["state"] == "synced" and recs[a]["sent"]["health_score"] == 70
    assert recs[gone]["state"] == "failed" and recs[gone]["last_error"].startswith("OBJECT_NOT_FOUND")
    assert recs[gone]["last_status"] == 207
    assert recs[later]["state"] == "unmapped" and recs[later]["record_id"] is None
    limited = [r for r in rx.requests if r.status == 429]
    assert len(limited) == 1
    after = [r for r in rx.requests if r.at > limited[0].at]
    assert after and after[0].at - limited[0].at >= rx.rate_interval_ms / 1000 * 0.9  # it waited as told
    d = (await http.get(f"/v1/crm/destinations/{dest}", headers=AUTH)).json()
    assert d["status"]["by_state"]["failed"] >= 1 and d["status"]["by_state"]["unmapped"] >= 1
    assert "TEN_SECONDLY_ROLLING" in d["pause_reason"]

    r = await http.put(f"/v1/crm/accounts/{later}/records", json={"hubspot": "9103"}, headers=AUTH)
    assert r.status_code == 200 and r.json()["records"] == {"hubspot": "9103"}
    await eventually(lambda: _true(rx.companies["9103"].get(HS["health_colour"]) == "green"), what="late mapping")
    assert rx.violations == []


async def test_salesforce_accounts_get_their_fields_through_a_503_and_a_deleted_account_fails(
    http, rx, destinations, kafka_bootstrap, run_id
) -> None:
    a, gone = f"sf-a-{run_id}", f"sf-b-{run_id}"
    live, deleted = f"001{run_id[:11]}X", f"001{run_id[:11]}Y"  # 15-character ids, never equal
    rx.accounts.update({live: {}, deleted: {}})
    rx.deleted.add(deleted)
    rx.script.append(503)
    rx.salesforce_fields.add("CS_Health__c")
    dest = await _destination(
        http, rx, destinations, "salesforce", api_version="v61.0", fields={"health_score": "CS_Health__c"}
    )
    await _map(http, a, salesforce=live)
    await _map(http, gone, salesforce=deleted)
    await _publish(kafka_bootstrap, [_score(a, 38, "red", None), _score(gone, 50, "yellow", None)])

    async def settled() -> dict[str, Any] | None:
        recs = await _records(http, dest)
        ok = recs.get(a, {}).get("state") == "synced" and recs.get(gone, {}).get("state") == "failed"
        return recs if ok else None

    recs = await eventually(settled, what="both accounts settled")
    assert rx.accounts[live]["CS_Health__c"] == 38 and rx.accounts[live][SF["health_colour"]] == "red"
    assert SF["health_score"] not in rx.accounts[live]  # the admin's name replaced the default
    assert recs[gone]["last_error"] == "ENTITY_IS_DELETED: entity is deleted"
    assert rx.requests[0].status == 503 and all(
        r.path == "/services/data/v61.0/composite/sobjects" for r in rx.requests
    )
    assert rx.violations == []


async def test_crm_destinations_refuse_bad_configuration_by_field(http, rx) -> None:
    base = {"name": "x", "kind": "hubspot", "token": "pat-123456789", "base_url": rx.base_url}
    cases = [
        ({**base, "kind": "pipedrive"}, "kind"),
        ({k: v for k, v in base.items() if k != "base_url"} | {"kind": "salesforce"}, "base_url"),
        ({**base, "fields": {"nps": "x"}}, "fields.nps"),
        ({**base, "fields": {"health_score": "Health Score"}}, "fields.health_score"),
        ({**base, "token": "short"}, "token"),
        ({**base, "base_url": "ftp://crm.example.com"}, "base_url"),
        ({**base, "base_url": "http://10.0.0.8"}, "base_url"),
    ]
    for body, field in cases:
        r = await http.post("/v1/crm/destinations", json=body, headers=AUTH)
        assert r.status_code == 422, (body, r.text)
        assert field in r.text, (field, r.text)
    r = await http.get("/v1/crm/destinations/crm_nope", headers=AUTH)
    assert r.status_code == 404 and "destination_id" in r.text
    r = await http.get("/v1/crm/destinations", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


async def _true(value: bool) -> bool:
    return value
