"""Go-live (issue: what a CSM hears must be true): an existing, happy customer connected today, its CRM
news first and its product usage seconds later, is scored on what is known, its first score is a
baseline and not a colour change, and nothing says it turned red."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from bellwether_shared import topics
from devkit.kafka import Received, TopicTail
from tests.support.wait import eventually


async def _signal(http: httpx.AsyncClient, ingest, source, **signal: Any) -> None:  # type: ignore[no-untyped-def]
    r = await http.post(f"{ingest.url}/v1/signals", json=signal, auth=(source.write_key, ""))
    assert r.status_code == 200, r.text


def _of(received: list[Received], account: str, kind: str) -> list[dict[str, Any]]:
    return [r.payload for r in received if r.envelope.subject == account and r.envelope.type.endswith(kind)]


async def test_a_happy_customer_connected_today_is_a_baseline_not_a_red_alarm(
    ingest, health, source, api_headers, kafka_bootstrap, run_id
) -> None:
    account = f"golive-{run_id}"
    async with TopicTail(kafka_bootstrap, topics.HEALTH) as tail, httpx.AsyncClient() as http:
        # the CRM's news first: the account, a confirmed onboarding, a promoter, a closed ticket
        await _signal(
            http,
            ingest,
            source,
            type="account.upserted",
            account_id=account,
            seats=20,
            tier="mid",
            exposure="low",
            name="Happy Co",
        )
        for aspect in ("technical", "process"):
            await _signal(
                http, ingest, source, type="onboarding.confirmed", account_id=account, aspect=aspect, confirmed_by="c1"
            )
        await _signal(http, ingest, source, type="nps.submitted", account_id=account, contact_id="c1", score=10)
        await _signal(
            http,
            ingest,
            source,
            type="ticket.changed",
            account_id=account,
            ticket_id="t1",
            status="closed",
            severity="low",
        )

        async def knows_the_ticket() -> dict[str, Any] | None:
            h = (await http.get(f"{health.url}/v1/accounts/{account}/health", headers=api_headers)).json()
            by_key = {m["key"]: m for m in h.get("measures", [])}
            return h if by_key.get("support_load", {}).get("raw") == 0 else None

        before = await eventually(knows_the_ticket, what="scored on the CRM's news")
        users = next(m for m in before["measures"] if m["key"] == "active_users")
        assert users["raw"] is None and users["contribution"] == 0  # no usage yet: no data, not zero users
        assert before["colour"] == "unknown"  # too little known to say; never red

        # then its product usage: 15 of 20 seats active today
        ts = datetime.now(UTC).isoformat()
        batch = [
            {
                "type": "track",
                "userId": f"{account}-u{u}",
                "event": "Dashboard Viewed",
                "timestamp": ts,
                "context": {"groupId": account},
            }
            for u in range(15)
        ]
        r = await http.post(f"{ingest.url}/v1/batch", json={"batch": batch}, auth=(source.write_key, ""))
        assert r.status_code == 200, r.text

        async def with_usage() -> dict[str, Any] | None:
            h = (await http.get(f"{health.url}/v1/accounts/{account}/health", headers=api_headers)).json()
            users = next(m for m in h["measures"] if m["key"] == "active_users")
            return h if users["raw"] == 0.75 else None

        scored = await eventually(with_usage, what="the score counts the usage")
        # sentinel: a new contact's assessment, announced after every event of the scores above
        await _signal(
            http,
            ingest,
            source,
            type="contact.changed",
            account_id=account,
            contact_id="sentinel",
            influence="low",
            engagement="low",
            delight="low",
        )
        got = await tail.collect(
            lambda rs: any(p["contact_id"] == "sentinel" for p in _of(rs, account, "contact_assessed.v1")), timeout=60
        )
    assert scored["colour"] == "green"
    assert _of(got, account, "colour_changed.v1") == []  # nothing ever said its colour changed
    scores = _of(got, account, "score_changed.v1")
    assert all(p["new_colour"] != "red" for p in scores)
    assert all(not p["usage_data"] for p in scores if p["new_colour"] == "unknown")
    baselines = [p for p in scores if p["baseline"]]
    assert len(baselines) == 1 and baselines[0]["new_colour"] == "green" and baselines[0]["delta"] is None
