"""The notifications service for real: events on real Kafka, state in real PostgreSQL, deliveries to
real local HTTP receivers and a real SMTP server."""

from __future__ import annotations

import json
import os
import signal
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from bellwether_shared.events import renewals as rev
from conftest import notifications_env
from devkit.receiver import Receiver
from devkit.services import ServiceProcess
from tests.support.notifications import AUTH, _publish, owners, person, risk, webhook_for
from tests.support.wait import eventually


@pytest.fixture
async def http(notifications) -> Any:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=notifications.url, timeout=15) as client:
        yield client


@pytest.fixture
def receiver() -> Any:
    r = Receiver().start()
    yield r
    r.stop()


async def test_an_alert_reaches_the_owner_signed_by_webhook_and_by_email(
    http, receiver, smtp, kafka_bootstrap, run_id
) -> None:
    acct, csm = f"acct-{run_id}", f"cara-{run_id}"
    await person(http, csm, name="Cara", email=f"{csm}@vendor.test", role="csm")
    dest, secret = await webhook_for(http, csm, receiver.url)
    await owners(kafka_bootstrap, acct, csm=csm)
    event_id = await risk(kafka_bootstrap, acct, f"renewal-{run_id}")

    async def delivered() -> bool:
        return any(r.body and json.loads(r.body).get("account_id") == acct for r in receiver.requests)

    await eventually(delivered, what="webhook delivered")
    req = next(r for r in receiver.requests if json.loads(r.body).get("account_id") == acct)
    body = Webhook(secret).verify(req.body, req.headers)  # independent implementation of the spec
    assert body["type"] == "bellwether.alert.v1" and body["event"]["id"] == event_id and body["severity"] == "high"
    assert "is at risk" in body["text"] and "health is red (30)" in body["text"]
    assert req.headers["webhook-id"].startswith("msg_")

    async def mailed() -> Any:
        return next((m for m in smtp.messages if m["To"] == f"{csm}@vendor.test"), None)

    mail = await eventually(mailed, what="e-mail through SMTP")
    # one incident: the renewal at risk raised the ownership change's (low, waiting for the digest), and
    # its one message names both; the low cause leaves the digest
    assert mail["Subject"].startswith("[HIGH] Renewal at risk") and "You own a new account" in mail["Subject"]
    incident = body["incident"]
    assert incident["severity"] == "high" and [c["rule_id"] for c in incident["causes"]] == [
        "renewal-at-risk",
        "ownership-changed",
    ]
    alerts = (await http.get("/v1/alerts", params={"account_id": acct}, headers=AUTH)).json()["alerts"]
    assert sorted(a["rule_id"] for a in alerts) == ["ownership-changed", "renewal-at-risk"]
    owner_alert = next(a for a in alerts if a["rule_id"] == "ownership-changed")
    assert owner_alert["outcomes"][0]["outcome"] == "grouped"  # named in the incident's message
    assert owner_alert["outcomes"][0]["incident_id"] == incident["id"]
    alerts = [a for a in alerts if a["rule_id"] == "renewal-at-risk"]
    sent = alerts[0]["outcomes"][0]
    assert (sent["recipient"], sent["outcome"], sent["incident_id"]) == (csm, "send", incident["id"])
    assert sent["reason"].startswith("high severity, sent at once; raises incident")
    listed = (await http.get("/v1/incidents", params={"account_id": acct}, headers=AUTH)).json()["items"]
    assert [(i["incident_id"], i["recipient"], i["severity"], len(i["causes"])) for i in listed] == [
        (incident["id"], csm, "high", 2)
    ]
    assert "event.at_risk eq True" in alerts[0]["why"]

    async def recorded() -> list[dict[str, Any]] | None:
        rows = (await http.get("/v1/deliveries", params={"destination_id": dest}, headers=AUTH)).json()["deliveries"]
        return rows if [d["status"] for d in rows] == ["succeeded"] else None

    log = await eventually(recorded, what="the attempt recorded")
    one = (await http.get(f"/v1/deliveries/{log[0]['delivery_id']}", headers=AUTH)).json()
    assert one["attempts_log"][0]["status_code"] == 200 and one["attempts_log"][0]["latency_ms"] > 0


async def test_a_receiver_down_then_up_gets_every_delivery_once(http, kafka_bootstrap, run_id) -> None:
    from collections import Counter

    rx = Receiver().start()
    rx.stop()  # down: connections are refused
    try:
        csm = f"olga-{run_id}"
        await person(http, csm, role="csm", throttle_per_hour=1000)
        dest, _ = await webhook_for(http, csm, rx.url)
        for i in range(12):  # an account each: one incident, one message each
            await owners(kafka_bootstrap, f"outage-{run_id}-{i}", csm=csm)
            await risk(kafka_bootstrap, f"outage-{run_id}-{i}", f"opp-{i}")

        async def retried() -> bool:
            rows = (await http.get("/v1/deliveries", params={"destination_id": dest}, headers=AUTH)).json()[
                "deliveries"
            ]
            return len(rows) == 12 and all(d["attempts"] >= 2 and d["status"] == "pending" for d in rows)

        await eventually(retried, what="12 deliveries, each failed at least twice")
        rx.start()  # back up, same port

        async def all_ok() -> bool:
            return len(await _succeeded(http, csm)) == 12

        await eventually(all_ok, timeout=30, what="every delivery succeeded")
        answered_ok = Counter(r.headers["webhook-id"] for r in rx.requests if r.status == 200)
        assert set(answered_ok) == await _succeeded(http, csm)
        assert set(answered_ok.values()) == {1}  # once per id
        one = (await http.get(f"/v1/deliveries/{next(iter(answered_ok))}", headers=AUTH)).json()
        assert [a["status_code"] for a in one["attempts_log"]][-1] == 200
        assert all("ClientConnectorError" in (a["error"] or "") for a in one["attempts_log"][:-1])  # refused
    finally:
        rx.stop()


async def _succeeded(http: httpx.AsyncClient, csm: str) -> set[str]:
    rows = (await http.get("/v1/deliveries", params={"status": "succeeded", "limit": 1000}, headers=AUTH)).json()[
        "deliveries"
    ]
    return {d["delivery_id"] for d in rows if d["recipient"] == csm}


async def test_dedupe_throttle_and_a_digest_of_exactly_the_held_back_alerts(
    http, receiver, kafka_bootstrap, run_id
) -> None:
    csm = f"nora-{run_id}"
    accounts = [f"noise-{run_id}-{i}" for i in range(5)]  # an account each: five incidents
    await person(http, csm, role="csm", throttle_per_hour=2, digest="hourly")
    await webhook_for(http, csm, receiver.url)
    ids = []
    for i, acct in enumerate(accounts):
        await owners(kafka_bootstrap, acct, csm=csm)
        ids.append(await risk(kafka_bootstrap, acct, f"o{i}"))
    await risk(kafka_bootstrap, accounts[0], "o0")  # the same alert key again within the window

    async def decided() -> list[dict[str, Any]] | None:
        rows = []
        for acct in accounts:
            rows += (await http.get("/v1/alerts", params={"account_id": acct}, headers=AUTH)).json()["alerts"]
        return rows if len([a for a in rows if a["rule_id"] == "renewal-at-risk"]) == 6 else None

    everything = await eventually(decided, what="six risk alerts decided")
    alerts = [a for a in everything if a["rule_id"] == "renewal-at-risk"]
    outcome = {a["event_id"]: a["outcomes"][0] for a in alerts}
    counts: dict[str, int] = {}
    for o in outcome.values():
        counts[o["outcome"]] = counts.get(o["outcome"], 0) + 1
    assert counts == {"send": 2, "throttled": 3, "duplicate": 1}
    dup = next(o for o in outcome.values() if o["outcome"] == "duplicate")
    assert "the same alert went to this recipient" in dup["reason"]
    # held back: the three throttled ones and, in their incidents, the low-severity ownership changes (the
    # two sent named theirs, which left the digest)
    held = {a["alert_id"] for a in everything if a["outcomes"][0]["outcome"] in ("throttled", "digest")}
    assert len(held) == 6
    assert sum(a["outcomes"][0]["outcome"] == "grouped" for a in everything) == 2
    assert all(i in outcome for i in ids)

    r = await http.post("/v1/digests/run", params={"recipient": csm}, headers=AUTH)
    assert r.status_code == 200 and len(r.json()["digests"]) == 1

    async def digest_arrived() -> Any:
        return next(
            (json.loads(x.body) for x in receiver.requests if json.loads(x.body).get("type") == "bellwether.digest.v1"),
            None,
        )

    digest = await eventually(digest_arrived, what="digest delivered")
    # exactly the held-back ones, one line per incident naming both of its causes
    assert len(digest["alerts"]) == 3 and {a["alert_id"] for a in digest["alerts"]} <= held
    assert all("Renewal at risk" in a["title"] and "You own a new account" in a["title"] for a in digest["alerts"])
    assert digest["recipient"] == csm and digest["period"] == "hourly"
    again = await http.post("/v1/digests/run", params={"recipient": csm}, headers=AUTH)
    assert again.json()["digests"] == []  # nothing waits any more


async def test_guarded_targets_redirects_rotation_and_replay(http, receiver, kafka_bootstrap, run_id) -> None:
    acct, csm = f"guard-{run_id}", f"gus-{run_id}"
    await person(http, csm, role="csm", throttle_per_hour=1000)
    # an internal target is refused when the destination is created (and at every send: test_sender.py)
    r = await http.post(
        "/v1/destinations",
        headers=AUTH,
        json={"name": "inside", "kind": "webhook", "target": "http://10.255.255.1:8080/hook", "owner_person_id": csm},
    )
    assert r.status_code == 422 and r.json()["errors"][0] == {"field": "target", "reason": "10.255.255.1 is private"}
    bouncer = Receiver(status=302, redirect_to="http://169.254.169.254/latest/meta-data").start()
    try:
        bounced, _ = await webhook_for(http, csm, bouncer.url)
        good, secret = await webhook_for(http, csm, receiver.url)
        await owners(kafka_bootstrap, acct, csm=csm)
        await risk(kafka_bootstrap, acct, "o1")

        async def attempted(dest: str) -> dict[str, Any] | None:
            rows = (await http.get("/v1/deliveries", params={"destination_id": dest}, headers=AUTH)).json()[
                "deliveries"
            ]
            if not rows or rows[0]["attempts"] < 1:
                return None
            d: dict[str, Any] = (await http.get(f"/v1/deliveries/{rows[0]['delivery_id']}", headers=AUTH)).json()
            return d

        redirected = await eventually(lambda: attempted(bounced), what="attempt answered with a redirect")
        assert (
            "not followed" in redirected["attempts_log"][0]["error"]
            and redirected["attempts_log"][0]["status_code"] == 302
        )
        assert len(bouncer.requests) >= 1 and all(r.path == "/hook" for r in bouncer.requests)
        first = await eventually(lambda: attempted(good), what="delivery to the receiver")
        assert first["status"] == "succeeded"

        r = await http.post(f"/v1/destinations/{good}/rotate-secret", headers=AUTH)
        new_secret = r.json()["signing_secret"]
        assert new_secret != secret
        r = await http.post(f"/v1/deliveries/{first['delivery_id']}/replay", headers=AUTH)
        assert r.status_code == 200

        async def replayed() -> Any:
            same = [x for x in receiver.requests if x.headers.get("webhook-id") == first["delivery_id"]]
            return same[-1] if len(same) == 2 else None

        again = await eventually(replayed, what="replayed with the same webhook-id")
        assert len(again.headers["webhook-signature"].split()) == 2  # both secrets sign during the overlap
        Webhook(secret).verify(again.body, again.headers)
        Webhook(new_secret).verify(again.body, again.headers)
        shown = (await http.get(f"/v1/destinations/{good}", headers=AUTH)).json()
        assert len(shown["secrets"]) == 2 and "sealed" not in json.dumps(shown) and secret not in json.dumps(shown)
    finally:
        bouncer.stop()


async def test_a_failing_endpoint_is_disabled_and_its_owner_told(
    notifications_db, kafka_bootstrap, smtp, tmp_path, run_id
) -> None:
    svc = ServiceProcess(
        "notifications",
        notifications_env(
            notifications_db, kafka_bootstrap, smtp.port, DISABLE_AFTER_S="1.5", CONSUMER_GROUP=f"n-{run_id}"
        ),
        tmp_path / "notifications.log",
    ).start()
    failing = Receiver(status=500).start()
    try:
        async with httpx.AsyncClient(base_url=svc.url, timeout=15) as http:
            acct, csm, ops = f"dis-{run_id}", f"dan-{run_id}", f"ops-{run_id}"
            await person(http, ops, email=f"{ops}@vendor.test")
            await person(http, csm, role="csm")
            r = await http.post(
                "/v1/destinations",
                json={"name": "flaky CRM", "kind": "webhook", "target": failing.url, "owner_person_id": ops},
                headers=AUTH,
            )
            dest = r.json()["destination_id"]
            await http.post("/v1/subscriptions", json={"destination_id": dest, "recipient": csm}, headers=AUTH)
            await owners(kafka_bootstrap, acct, csm=csm)
            await risk(kafka_bootstrap, acct, "o1")

            async def disabled() -> dict[str, Any] | None:
                d: dict[str, Any] = (await http.get(f"/v1/destinations/{dest}", headers=AUTH)).json()
                return d if not d["enabled"] else None

            d = await eventually(disabled, what="destination disabled")
            assert "every delivery failed since" in d["disabled_reason"] and "HTTP 500" in d["disabled_reason"]

            async def told() -> Any:
                return next((m for m in smtp.messages if m["To"] == f"{ops}@vendor.test"), None)

            mail = await eventually(told, what="owner told by e-mail")
            assert "Alert destination disabled: flaky CRM" in mail["Subject"]
            attempts_then = len(failing.requests)
            failing.status = 200
            r = await http.post(f"/v1/destinations/{dest}/enable", headers=AUTH)
            assert r.json()["enabled"] is True
            await eventually(lambda: _some(failing, attempts_then), what="deliveries resume once re-enabled")
    finally:
        failing.stop()
        svc.stop()


async def _some(rx: Receiver, before: int) -> bool:
    return any(r.status == 200 for r in rx.requests[before:])


async def test_killed_mid_delivery_the_service_resumes(
    notifications_db, kafka_bootstrap, smtp, tmp_path, run_id
) -> None:
    """SIGKILL while requests are in flight to a slow receiver: after a restart every delivery arrives
    (the lease expires and the leased ones are sent again; receivers de-duplicate by webhook-id)."""
    env = notifications_env(
        notifications_db,
        kafka_bootstrap,
        smtp.port,
        DELIVERY_LEASE_S="4",
        HTTP_TIMEOUT_S="1.3",
        CONSUMER_GROUP=f"k-{run_id}",
    )
    slow = Receiver(delay_s=1.0).start()
    svc = ServiceProcess("notifications", env, tmp_path / "n1.log").start()
    try:
        async with httpx.AsyncClient(base_url=svc.url, timeout=15) as http:
            acct, csm = f"kill-{run_id}", f"kim-{run_id}"
            await person(http, csm, role="csm", throttle_per_hour=1000)
            await webhook_for(http, csm, slow.url)
        for i in range(8):  # an account each: one incident, one message each
            await owners(kafka_bootstrap, f"{acct}-{i}", csm=csm)
            await risk(kafka_bootstrap, f"{acct}-{i}", f"k{i}")
        await eventually(lambda: _true(len(slow.requests) >= 1), what="a request in flight")
        assert svc.proc is not None
        os.kill(svc.proc.pid, signal.SIGKILL)
        svc.proc.wait(10)
        svc = ServiceProcess("notifications", env, tmp_path / "n2.log").start()
        async with httpx.AsyncClient(base_url=svc.url, timeout=15) as http:

            async def all_ok() -> bool:
                return len(await _succeeded(http, csm)) == 8

            await eventually(all_ok, timeout=60, what="all eight delivered after the restart")
            delivered = await _succeeded(http, csm)
        assert delivered <= {r.headers["webhook-id"] for r in slow.requests if r.status == 200}
    finally:
        svc.stop()
        slow.stop()


async def _true(value: bool) -> bool:
    return value


async def test_old_events_update_the_projection_but_alert_nobody(http, receiver, kafka_bootstrap, run_id) -> None:
    """A new deployment reads the topics from the start: last month's risk must not page anyone."""
    acct, csm = f"stale-{run_id}", f"sam-{run_id}"
    await person(http, csm, role="csm", throttle_per_hour=1000)
    await webhook_for(http, csm, receiver.url)
    await owners(kafka_bootstrap, acct, csm=csm)
    old = rev.RenewalRiskChanged(
        account_id=acct,
        opportunity_id="old",
        at_risk=True,
        level="high",
        points=70,
        renewal_date=date.today(),
        days_to_renewal=3,
        arr=1.0,
        owner_id=csm,
        reasons=[],
    ).envelope(event_id=str(uuid.uuid4()), source="bellwether/renewals", time=datetime.now(UTC) - timedelta(days=30))
    await _publish(kafka_bootstrap, [old])
    fresh = await risk(kafka_bootstrap, acct, "fresh")  # same partition (same key), after the old one

    async def alerted() -> list[dict[str, Any]] | None:
        rows = (await http.get("/v1/alerts", params={"account_id": acct}, headers=AUTH)).json()["alerts"]
        risky = [a for a in rows if a["rule_id"] == "renewal-at-risk"]
        return risky or None

    risky = await eventually(alerted, what="the fresh event alerted")
    assert [a["event_id"] for a in risky] == [fresh]


async def test_a_shipped_request_is_urgent_for_accounts_renewing_within_90_days_and_digest_for_others(
    http, kafka_bootstrap, run_id
) -> None:
    """renewals announces a shipped request to each account that asked (request_shipped, with its
    urgency); notifications sends the urgent one at once and holds the other for the digest."""
    csm = f"fay-{run_id}"
    await person(http, csm, role="csm", throttle_per_hour=1000)
    soon, later = f"soon-{run_id}", f"later-{run_id}"
    await owners(kafka_bootstrap, soon, csm=csm)
    await owners(kafka_bootstrap, later, csm=csm)
    told = [
        rev.RequestShipped(
            account_id=a,
            request_id="FR-1",
            title="SSO for contractors",
            kind="feature",
            urgency=u,  # type: ignore[arg-type]
            renewal_date=date.today() + timedelta(days=d),
            days_to_renewal=d,
            arr=50_000,
        ).envelope(event_id=str(uuid.uuid4()), source="bellwether/renewals")
        for a, d, u in ((soon, 60, "urgent"), (later, 200, "digest"))
    ]
    await _publish(kafka_bootstrap, told)

    async def alerted(acct: str) -> list[dict[str, Any]] | None:
        rows = (await http.get("/v1/alerts", params={"account_id": acct}, headers=AUTH)).json()["alerts"]
        return [a for a in rows if a["rule_id"].startswith("request-shipped")] or None

    hit = await eventually(lambda: alerted(soon), what="the urgent one")
    assert [a["rule_id"] for a in hit] == ["request-shipped-renewing"]
    assert "'SSO for contractors' shipped for" in hit[0]["text"] and "renews in 60 days" in hit[0]["text"]
    assert hit[0]["outcomes"][0]["outcome"] == "no_destination"  # sent at once; this person has no destination
    quiet = await eventually(lambda: alerted(later), what="the digest one")
    assert [a["rule_id"] for a in quiet] == ["request-shipped"] and quiet[0]["outcomes"][0]["outcome"] == "digest"
