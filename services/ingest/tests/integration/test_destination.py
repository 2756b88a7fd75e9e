"""Ingest as a Segment / RudderStack webhook destination, against a real ingest, Kafka and PostgreSQL.

Payloads follow the senders' documented shapes: Segment's Webhooks (Classic) destination POSTs each
message as the spec's JSON (``version``, ``type``, ``userId``, ``properties``, ``context``…), signed with
``X-Signature`` (hex HMAC-SHA1 of the body) when a shared secret is set; Webhooks (Actions) in batch
mode and RudderStack's Webhook destination in batch mode send a top-level JSON array."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
import orjson

from bellwether_shared import topics
from conftest import ADMIN_TOKEN, create_source
from devkit.kafka import TopicTail

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def classic_track(run_id: str, account: str) -> dict[str, Any]:
    """Segment's documented Webhooks (Classic) track payload, with our account in context.groupId."""
    return {
        "version": 1,
        "type": "track",
        "userId": "019mr8mf4r",
        "event": "Item Purchased",
        "properties": {"name": "Leap to Conclusions Mat", "revenue": 14.99},
        "context": {"ip": "24.5.68.47", "library": {"name": "analytics.js", "version": "2.11.1"}, "groupId": account},
        "timestamp": "2012-12-02T00:30:12.984Z",
        "messageId": f"ajs-{run_id}",
        "receivedAt": "2012-12-02T00:30:12.984Z",
        "sentAt": "2012-12-02T00:30:12.984Z",
        "integrations": {},
    }


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


async def test_classic_single_message_and_batched_array_of_mixed_types(ingest, source, kafka_bootstrap, run_id):
    account = f"acct-{run_id}"
    batch = [
        {"type": "identify", "userId": f"u-{run_id}", "traits": {"email": "a@example.com"}, "messageId": f"i-{run_id}"},
        {"type": "group", "userId": f"u-{run_id}", "groupId": account, "messageId": f"g-{run_id}"},
        {"type": "page", "userId": f"u-{run_id}", "name": "Home", "messageId": f"p-{run_id}"},
        {
            "type": "track",
            "anonymousId": f"anon-{run_id}",
            "event": "Signed Up",
            "messageId": f"t-{run_id}",
            "context": {"groupId": account},
        },
    ]
    wanted = {f"ajs-{run_id}", f"i-{run_id}", f"g-{run_id}", f"p-{run_id}", f"t-{run_id}"}
    async with TopicTail(kafka_bootstrap, topics.USAGE, topics.IDENTITY) as tail, httpx.AsyncClient() as http:
        one = await http.post(
            f"{ingest.url}/v1/destination",
            json=classic_track(run_id, account),
            headers={"Authorization": f"Bearer {source.write_key}", "User-Agent": "Segment.io/1.0"},
        )
        many = await http.post(f"{ingest.url}/v1/destination", json=batch, auth=(source.write_key, ""))
        assert (one.status_code, one.json()["accepted"]) == (200, 1), one.text
        assert (many.status_code, many.json()["accepted"], many.json()["rejected"]) == (200, 4, []), many.text
        got = await tail.collect(lambda rs: wanted <= {x.payload.get("message_id") for x in rs})
    by_id = {x.payload.get("message_id"): x for x in got}
    assert by_id[f"ajs-{run_id}"].envelope.type == "bellwether.usage.recorded.v1"
    assert by_id[f"ajs-{run_id}"].payload["event"] == "Item Purchased"
    assert by_id[f"ajs-{run_id}"].payload["account_id"] == account
    assert by_id[f"g-{run_id}"].envelope.type == "bellwether.identity.user_joined_account.v1"
    assert by_id[f"i-{run_id}"].envelope.type == "bellwether.identity.user_identified.v1"
    assert by_id[f"p-{run_id}"].payload["account_id"] == account  # the group call in the same array attributes it


async def test_the_custom_header_carries_the_key_and_unknown_keys_are_401(ingest, source, kafka_bootstrap, run_id):
    event = {
        "type": "track",
        "userId": "u",
        "event": "e",
        "messageId": f"h-{run_id}",
        "context": {"groupId": f"a-{run_id}"},
    }
    async with TopicTail(kafka_bootstrap, topics.USAGE) as tail, httpx.AsyncClient() as http:
        r = await http.post(f"{ingest.url}/v1/destination", json=event, headers={"X-Write-Key": source.write_key})
        assert r.status_code == 200, r.text
        await tail.collect(lambda rs: any(x.payload.get("message_id") == f"h-{run_id}" for x in rs))
        for headers in ({"X-Write-Key": "nope"}, {"Authorization": "Bearer nope"}, {"X-Other": source.write_key}, {}):
            r = await http.post(f"{ingest.url}/v1/destination", json=event, headers=headers)
            assert r.status_code == 401, (headers, r.text)


async def test_x_signature_is_checked_when_the_source_has_a_secret(ingest, kafka_bootstrap, run_id):
    signed = create_source(ingest.url)
    secret = "segment-shared-secret-" + run_id
    async with httpx.AsyncClient() as http:
        url = f"{ingest.url}/v1/sources/{signed.id}/signing-secret"
        r = await http.put(url, json={"secret": secret}, headers=ADMIN)
        assert r.status_code == 200 and r.json()["signing_secret"] == secret
        shown = await http.get(f"{ingest.url}/v1/sources/{signed.id}", headers=ADMIN)
        assert shown.json()["signed"] is True and secret not in shown.text
        body = orjson.dumps(classic_track(run_id, f"a-{run_id}"))
        post = f"{ingest.url}/v1/destination"
        auth = {"Authorization": f"Bearer {signed.write_key}", "Content-Type": "application/json"}
        async with TopicTail(kafka_bootstrap, topics.USAGE) as tail:
            for bad in ({}, {"X-Signature": sign("another-secret-entirely", body)}, {"X-Signature": "zz"}):
                r = await http.post(post, content=body, headers=auth | bad)
                assert (r.status_code, r.json()["code"]) == (401, "invalid_signature"), bad
            tampered = body.replace(b"14.99", b"99.99")
            r = await http.post(post, content=tampered, headers=auth | {"X-Signature": sign(secret, body)})
            assert r.status_code == 401
            r = await http.post(post, content=body, headers=auth | {"X-Signature": sign(secret, body)})
            assert r.status_code == 200, r.text
            got = await tail.collect(lambda rs: any(x.payload.get("message_id") == f"ajs-{run_id}" for x in rs))
        # the sentinel (the one signed request) is the only record of this run: nothing unsigned got through
        assert [x.payload["message_id"] for x in got if run_id in x.payload.get("message_id", "")] == [f"ajs-{run_id}"]
        r = await http.delete(f"{ingest.url}/v1/sources/{signed.id}/signing-secret", headers=ADMIN)
        assert r.status_code == 204
        r = await http.post(post, content=body, headers=auth)
        assert r.status_code == 200, "without a secret, no signature is needed"


async def test_invalid_events_single_is_400_array_is_200_and_listed(ingest, source, admin_headers, run_id):
    async with httpx.AsyncClient() as http:
        single = await http.post(
            f"{ingest.url}/v1/destination",
            json={"type": "track", "userId": "u", "messageId": f"bad-{run_id}"},
            auth=(source.write_key, ""),
        )
        assert single.status_code == 400 and single.json()["field"] == "event", single.text
        mixed = [
            {"type": "track", "userId": "u", "event": "ok", "context": {"groupId": f"a-{run_id}"}},
            {"type": "teleport", "userId": "u", "messageId": f"tp-{run_id}"},
            "not an object",
        ]
        r = await http.post(f"{ingest.url}/v1/destination", json=mixed, auth=(source.write_key, ""))
        assert r.status_code == 200 and r.json()["accepted"] == 1
        assert [(x["index"], x["field"]) for x in r.json()["rejected"]] == [(1, "type"), (2, "")]
        kept = await http.get(f"{ingest.url}/v1/rejected", params={"source_id": source.id}, headers=admin_headers)
        reasons = {x["message_id"]: x for x in kept.json()["items"]}
        assert reasons[f"tp-{run_id}"]["field"] == "type" and reasons[f"bad-{run_id}"]["field"] == "event"
        for content in (b"42", b"{nope"):
            r = await http.post(f"{ingest.url}/v1/destination", content=content, auth=(source.write_key, ""))
            assert r.status_code == 400 and r.json()["code"] in ("invalid_body", "invalid_json")
        too_many = [{"type": "track", "userId": "u", "event": "e"}] * 2501
        r = await http.post(f"{ingest.url}/v1/destination", json=too_many, auth=(source.write_key, ""))
        assert r.status_code == 413


async def test_rate_limit_is_429_with_retry_after(ingest) -> None:
    limited = create_source(ingest.url, rate_limit_eps=5, burst=10)
    batch = [{"type": "track", "userId": "u", "event": "e", "context": {"groupId": "a"}}] * 10
    async with httpx.AsyncClient() as http:
        first = await http.post(f"{ingest.url}/v1/destination", json=batch, auth=(limited.write_key, ""))
        second = await http.post(f"{ingest.url}/v1/destination", json=batch, auth=(limited.write_key, ""))
    assert first.status_code == 200
    assert second.status_code == 429 and int(second.headers["Retry-After"]) >= 1


async def test_a_retried_message_keeps_its_event_id(ingest, source, kafka_bootstrap, run_id) -> None:
    """Senders retry with the same messageId: both deliveries carry one event id, which every consumer
    de-duplicates on (shared/tests/integration/test_dedup_window.py)."""
    event = classic_track(run_id, f"a-{run_id}")
    async with TopicTail(kafka_bootstrap, topics.USAGE) as tail, httpx.AsyncClient() as http:
        for _ in range(2):
            r = await http.post(f"{ingest.url}/v1/destination", json=event, auth=(source.write_key, ""))
            assert r.status_code == 200
        got = await tail.collect(lambda rs: sum(x.payload.get("message_id") == f"ajs-{run_id}" for x in rs) == 2)
    ids = {x.envelope.id for x in got if x.payload.get("message_id") == f"ajs-{run_id}"}
    assert len(ids) == 1


async def test_segment_delete_forgets_the_user_once(ingest, source, admin_headers, kafka_bootstrap, run_id):
    """Segment's deletion request: ingest forgets the user (memberships, rejected payloads), publishes
    user_deleted for every service, records who asked; the sender's retry is the same request."""
    user = f"gone-{run_id}"
    delete = {"type": "delete", "userId": user, "messageId": f"del-{run_id}", "context": {}, "integrations": {}}
    async with httpx.AsyncClient() as http:
        r = await http.post(
            f"{ingest.url}/v1/destination",
            auth=(source.write_key, ""),
            json=[
                {"type": "group", "userId": user, "groupId": f"a-{run_id}"},
                {"type": "track", "userId": user, "messageId": f"bad-{run_id}"},
            ],
        )
        assert r.json()["accepted"] == 1 and len(r.json()["rejected"]) == 1
        async with TopicTail(kafka_bootstrap, topics.IDENTITY) as tail:
            for _ in range(2):
                r = await http.post(f"{ingest.url}/v1/destination", json=delete, auth=(source.write_key, ""))
                assert (r.status_code, r.json()["deleted"]) == (200, 1), r.text
            gone = "bellwether.identity.user_deleted.v1"
            got = await tail.collect(
                lambda rs: any(x.payload.get("user_id") == user for x in rs if x.envelope.type == gone)
            )
        deleted = [x for x in got if x.envelope.type == gone]
        requests = (await http.get(f"{ingest.url}/v1/deletions", headers=admin_headers)).json()["items"]
        hashed = hashlib.sha256(user.encode()).hexdigest()
        assert len([d for d in requests if d["user_hash"] == hashed]) == 1, "the retry is the same request"
        assert deleted[0].payload["user_id"] == user and deleted[0].payload["requested_by"] == f"source:{source.id}"
        kept = await http.get(f"{ingest.url}/v1/rejected", params={"source_id": source.id}, headers=admin_headers)
        assert f"bad-{run_id}" not in {x["message_id"] for x in kept.json()["items"]}
        r = await http.post(f"{ingest.url}/v1/destination", json={"type": "delete"}, auth=(source.write_key, ""))
        assert (r.status_code, r.json()["field"]) == (400, "userId")
