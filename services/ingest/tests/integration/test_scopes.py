"""Write-key scopes against the running ingest: the default grant, a call outside it (403 naming the
scope), a batch with some events outside it (rejected and kept, the rest accepted), signals per
type, account limits, changing a grant, and a future-dated upsert that cannot block the next one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from bellwether_shared import topics
from conftest import ADMIN_TOKEN, create_source
from devkit.kafka import TopicTail

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _new(ingest, **body: object) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    r = httpx.post(f"{ingest.url}/v1/sources", json={"name": "scoped", **body}, headers=ADMIN, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["write_key"]


def _admin(method: str, url: str, body: object = None) -> httpx.Response:
    return httpx.request(method, url, json=body, headers=ADMIN, timeout=10)


async def test_a_new_source_writes_usage_and_identity_only(ingest, run_id) -> None:
    source_id, key = _new(ingest)
    async with httpx.AsyncClient(base_url=ingest.url, auth=(key, "")) as http:
        listed = _admin("GET", f"{ingest.url}/v1/sources/{source_id}").json()
        track = await http.post("/v1/track", json={"userId": "u", "event": "e", "context": {"groupId": "a"}})
        identify = await http.post("/v1/identify", json={"userId": "u"})
        upsert = await http.post("/v1/signals", json={"type": "account.upserted", "account_id": "a", "tier": "x"})
    assert listed["scopes"] == ["identity", "usage"] and listed["accounts"] == []
    assert track.status_code == 200 and identify.status_code == 200
    assert upsert.status_code == 403, upsert.text
    assert upsert.json()["code"] == "missing_scope" and "signals:account.upserted" in upsert.json()["message"]


async def test_a_batch_keeps_what_the_key_may_send_and_rejects_the_rest_by_name(ingest, run_id) -> None:
    source_id, key = _new(ingest, scopes=["usage"])
    batch = [
        {"type": "track", "userId": "u", "event": "e", "messageId": f"{run_id}-0", "context": {"groupId": "g"}},
        {"type": "group", "userId": "u", "groupId": "g", "messageId": f"{run_id}-1"},
    ]
    async with httpx.AsyncClient(base_url=ingest.url, auth=(key, "")) as http:
        r = await http.post("/v1/batch", json={"batch": batch})
        signals = await http.post(
            "/v1/signals",
            json={
                "batch": [
                    {"type": "nps.submitted", "account_id": "g", "contact_id": "c", "score": 9},
                ]
            },
        )
        kept = _admin("GET", f"{ingest.url}/v1/rejected?source_id={source_id}").json()["items"]
    assert r.status_code == 200 and r.json()["accepted"] == 1
    assert [(x["index"], x["field"], x["reason"]) for x in r.json()["rejected"]] == [
        (1, "type", "this write key lacks the scope 'identity'")
    ]
    assert signals.status_code == 200 and signals.json()["accepted"] == 0
    assert signals.json()["rejected"][0]["reason"] == "this write key lacks the scope 'signals:nps.submitted'"
    assert {k["message_id"] for k in kept} >= {f"{run_id}-1"}  # rejected, and kept for operators


async def test_signal_grants_per_type_account_limits_and_changing_a_grant(ingest, run_id) -> None:
    source_id, key = _new(ingest, scopes=["signals:account.upserted"], accounts=[f"crm-{run_id}-*"])
    mine, theirs = f"crm-{run_id}-1", f"other-{run_id}"
    async with httpx.AsyncClient(base_url=ingest.url, auth=(key, "")) as http:
        ok = await http.post("/v1/signals", json={"type": "account.upserted", "account_id": mine, "tier": "gold"})
        other = await http.post("/v1/signals", json={"type": "account.upserted", "account_id": theirs})
        ticket = {"type": "ticket.changed", "account_id": mine, "ticket_id": "t", "status": "opened", "severity": "low"}
        deal_scope = await http.post("/v1/signals", json=ticket)
        usage = await http.post("/v1/track", json={"userId": "u", "event": "e", "context": {"groupId": mine}})
        changed = _admin("PATCH", f"{ingest.url}/v1/sources/{source_id}", {"scopes": ["signals:*", "usage"]})
        after = await http.post("/v1/signals", json=ticket)
        no_account = await http.post("/v1/track", json={"userId": f"nobody-{run_id}", "event": "e"})
        bad = _admin("PATCH", f"{ingest.url}/v1/sources/{source_id}", {"scopes": ["everything"]})
    assert ok.status_code == 200
    assert other.status_code == 403 and f"may not write to account '{theirs}'" in other.json()["message"]
    assert deal_scope.status_code == 403 and usage.status_code == 403  # neither granted yet
    assert changed.status_code == 200 and changed.json()["accounts"] == [f"crm-{run_id}-*"]
    assert after.status_code == 200, after.text  # the change applies at once (the auth cache forgets it)
    assert no_account.status_code == 403 and no_account.json()["code"] == "account_not_allowed"
    assert bad.status_code == 422 and "unknown scope 'everything'" in bad.text


async def test_a_future_dated_upsert_cannot_block_the_next_real_one(ingest, kafka_bootstrap, run_id) -> None:
    src = create_source(ingest.url)
    acct = f"future-{run_id}"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    async with (
        TopicTail(kafka_bootstrap, topics.SIGNALS) as tail,
        httpx.AsyncClient(base_url=ingest.url, auth=(src.write_key, "")) as http,
    ):
        upsert = {"type": "account.upserted", "account_id": acct}
        future = await http.post(
            "/v1/signals", json=upsert | {"tier": "frozen", "occurred_at": tomorrow, "message_id": f"{run_id}-f"}
        )
        real = await http.post("/v1/signals", json=upsert | {"tier": "gold", "message_id": f"{run_id}-r"})
        # the real one is on the account's partition after anything the future one could have put there
        got = await tail.collect(lambda rs: tail.seen(f"{run_id}-r"))
    assert future.status_code == 400 and future.json()["field"] == "occurred_at", future.text
    assert "latest signal wins" in future.json()["message"]
    assert real.status_code == 200
    mine = [r.payload["tier"] for r in got if r.payload.get("account_id") == acct]
    assert mine == ["gold"]  # the future-dated one never left ingest, so nothing downstream can prefer it


async def test_usage_from_the_future_is_kept_at_its_receipt_time_and_marked(ingest, kafka_bootstrap, run_id) -> None:
    src = create_source(ingest.url)
    async with (
        TopicTail(kafka_bootstrap, topics.USAGE) as tail,
        httpx.AsyncClient(base_url=ingest.url, auth=(src.write_key, "")) as http,
    ):
        before = datetime.now(UTC)
        call = {"userId": "u", "event": "e", "messageId": f"{run_id}-u", "context": {"groupId": "g"}}
        r = await http.post("/v1/track", json=call | {"timestamp": "2099-01-01T00:00:00Z"})
        got = await tail.collect(lambda rs: tail.seen(f"{run_id}-u"))
    assert r.status_code == 200
    rec = next(x for x in got if x.payload.get("message_id") == f"{run_id}-u")
    assert rec.payload["timestamp_corrected"] is True
    assert before <= datetime.fromisoformat(rec.payload["timestamp"]) <= datetime.now(UTC)
