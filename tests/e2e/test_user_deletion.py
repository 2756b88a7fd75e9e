"""A user's deletion, end to end: a person known to every service (product user, CRM contact with name
and e-mail, NPS comment, ticket, a rejected event) is deleted through ingest's admin API; every service
forgets them and a search of every column of every table of every schema finds no trace, while the
anonymous counts remain; their further events are suppressed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from bellwether_shared import topics
from conftest import ADMIN_TOKEN
from devkit.kafka import TopicTail
from tests.support.traces import traces
from tests.support.wait import eventually

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
NOW = datetime.now(UTC)


async def test_a_deleted_user_leaves_no_trace_in_any_schema(
    ingest,
    health,
    renewals,
    notifications,
    accounts,
    ingest_db,
    health_db,
    renewals_db,
    notifications_db,
    accounts_db,
    source,
    kafka_bootstrap,
    run_id,
) -> None:
    acct, user, contact = f"del-{run_id}", f"usr-{run_id}", f"ct-{run_id}"
    name, email = f"Ottilie Zandvoort-{run_id}", f"ottilie.{run_id}@example.com"
    needles = [user, contact, name, email]
    dbs = [
        (ingest_db, "ingest"),
        (health_db, "health"),
        (renewals_db, "renewals"),
        (notifications_db, "notifications"),
        (accounts_db, "accounts"),
    ]
    when = (NOW - timedelta(hours=2)).isoformat()
    batch = [
        {"type": "identify", "userId": user, "traits": {"email": email, "name": name}},
        {"type": "group", "userId": user, "groupId": acct},
        *({"type": "track", "userId": user, "event": "Report Exported", "timestamp": when} for _ in range(3)),
        {"type": "track", "userId": user, "timestamp": when},  # no event name: rejected, kept with its payload
    ]
    signals = [
        {"type": "account.upserted", "account_id": acct, "name": "Acme", "tier": "mid", "occurred_at": when},
        {
            "type": "contact.changed",
            "account_id": acct,
            "contact_id": contact,
            "name": name,
            "email": email,
            "user_id": user,
            "title": "VP Operations",
            "seniority": "vp",
            "is_champion": True,
            "occurred_at": when,
        },
        {
            "type": "nps.submitted",
            "account_id": acct,
            "contact_id": contact,
            "score": 3,
            "comment": f"{name} here: exports keep failing",
            "occurred_at": when,
        },
        {
            "type": "ticket.changed",
            "account_id": acct,
            "ticket_id": f"t-{run_id}",
            "status": "opened",
            "severity": "high",
            "requester_contact_id": contact,
            "occurred_at": when,
        },
    ]
    async with httpx.AsyncClient(timeout=15) as http:
        r = await http.post(f"{ingest.url}/v1/batch", json={"batch": batch}, auth=(source.write_key, ""))
        assert r.json()["accepted"] == 5, r.text
        r = await http.post(f"{ingest.url}/v1/signals", json={"batch": signals}, auth=(source.write_key, ""))
        assert r.json()["accepted"] == 4, r.text

        async def known_everywhere() -> bool:  # the test proves the person was there before
            found = [await traces(db.admin_url, schema, needles) for db, schema in dbs]
            return all(found[i] for i in (0, 1, 2, 4)) and any("nps" in t for t in found[4])

        await eventually(known_everywhere, timeout=60, what="the person is known to every service")
        user_days = "SELECT count(*) FROM health.user_days WHERE account_id = $1"
        days_before = await _count(health_db.admin_url, user_days, acct)

        r = await http.post(
            f"{ingest.url}/v1/deletions",
            json={"user_id": user, "contact_ids": [contact], "suppress": True},
            headers=ADMIN,
        )
        assert r.status_code == 202, r.text
        left: dict[str, int] = {}

        async def gone() -> bool | None:
            left.clear()
            for db, schema in dbs:
                left.update(await traces(db.admin_url, schema, needles))
            return not left or None

        try:
            await eventually(gone, timeout=60, what="no trace of the person in any schema")
        except AssertionError:
            raise AssertionError(f"traces left: {left}") from None
        assert await _count(health_db.admin_url, user_days, acct) == days_before > 0, "activity stays counted"
        nps = "SELECT count(*) FROM health.nps_responses WHERE account_id = $1"
        assert await _count(health_db.admin_url, nps, acct) == 1, "the answer stays in the score, anonymous"

        listed = (await http.get(f"{ingest.url}/v1/deletions", headers=ADMIN)).json()["items"]
        mine = next(x for x in listed if x["request_id"] == r.json()["request_id"])
        assert mine["user_hash"] == hashlib.sha256(user.encode()).hexdigest()
        assert mine["requested_by"] == r.json()["requested_by"] and ADMIN_TOKEN not in mine["requested_by"]
        assert mine["suppress"] is True and mine["contacts"] == 1

        # suppressed: their next event is dropped; a sentinel on the same key shows nothing came before it
        async with TopicTail(kafka_bootstrap, topics.USAGE) as tail:
            r = await http.post(
                f"{ingest.url}/v1/batch",
                auth=(source.write_key, ""),
                json={
                    "batch": [
                        {
                            "type": "track",
                            "userId": user,
                            "event": "Report Exported",
                            "context": {"groupId": acct},
                            "messageId": f"after-{run_id}",
                        },
                        {
                            "type": "track",
                            "userId": f"other-{run_id}",
                            "event": "Sentinel",
                            "context": {"groupId": acct},
                            "messageId": f"sentinel-{run_id}",
                        },
                    ]
                },
            )
            assert (r.json()["accepted"], r.json()["suppressed"]) == (1, 1), r.text
            got = await tail.collect(lambda rs: any(x.payload["message_id"] == f"sentinel-{run_id}" for x in rs))
        assert not [x for x in got if x.payload["message_id"] == f"after-{run_id}"]
        assert (await http.delete(f"{ingest.url}/v1/suppressions/{user}", headers=ADMIN)).status_code == 204
        assert (await http.delete(f"{ingest.url}/v1/suppressions/{user}", headers=ADMIN)).status_code == 404


async def _count(url: str, sql: str, *args: object) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql, *args))
    finally:
        await conn.close()
