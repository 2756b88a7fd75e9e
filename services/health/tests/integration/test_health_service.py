"""The health service for real: ingest over HTTP → Kafka → health → its API and health.v1."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import asyncpg
import httpx
from pydantic import SecretStr

from bellwether_shared import topics
from bellwether_shared.db import connect
from bellwether_shared.kafka import create_producer, publish
from devkit.events import usage_envelope
from devkit.kafka import TopicTail
from tests.support.wait import eventually


async def _signal(http: httpx.AsyncClient, ingest, source, **signal: Any) -> None:  # type: ignore[no-untyped-def]
    r = await http.post(f"{ingest.url}/v1/signals", json=signal, auth=(source.write_key, ""))
    assert r.status_code == 200, r.text


async def _usage(
    http: httpx.AsyncClient,
    ingest,
    source,
    account: str,
    users: int,
    event: str = "Dashboard Viewed",  # type: ignore[no-untyped-def]
    per_user: int = 1,
    days_ago: int = 0,
    **props: Any,
) -> None:
    ts = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    batch = [
        {
            "type": "track",
            "userId": f"{account}-u{u}",
            "event": event,
            "timestamp": ts,
            "properties": props,
            "context": {"groupId": account},
        }
        for u in range(users)
        for _ in range(per_user)
    ]
    r = await http.post(f"{ingest.url}/v1/batch", json={"batch": batch}, auth=(source.write_key, ""))
    assert r.status_code == 200 and r.json()["accepted"] == len(batch), r.text


async def _health(http: httpx.AsyncClient, health, api_headers, account: str) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    r = await http.get(f"{health.url}/v1/accounts/{account}/health", headers=api_headers)
    return r.json() if r.status_code == 200 else None


async def _health_with(  # type: ignore[no-untyped-def]
    http: httpx.AsyncClient, health, api_headers, account: str, *, active_users: float
) -> dict[str, Any] | None:
    """The account's score once it counts ``active_users`` (the share of seats active), else None."""
    h = await _health(http, health, api_headers, account)
    users = next((m for m in h["measures"] if m["key"] == "active_users"), None) if h else None
    return h if users and users["raw"] == active_users else None


def _counts_usage(r: Any, account: str) -> bool:
    return bool(
        r.envelope.subject == account
        and r.envelope.type == "bellwether.health.score_changed.v1"
        and r.payload["usage_data"]
        and r.payload["new_colour"] != "unknown"
    )


async def test_usage_and_signals_become_an_explained_score_and_an_event(
    ingest, health, source, api_headers, kafka_bootstrap, run_id
) -> None:
    account = f"acct-{run_id}"
    async with TopicTail(kafka_bootstrap, topics.HEALTH) as tail, httpx.AsyncClient() as http:
        await _signal(
            http,
            ingest,
            source,
            type="account.upserted",
            account_id=account,
            seats=10,
            tier="mid",
            exposure="low",
            name="Acme",
        )
        await _signal(
            http,
            ingest,
            source,
            type="contact.changed",
            account_id=account,
            contact_id="c1",
            is_champion=True,
            influence="high",
            engagement="high",
            delight="high",
        )
        for aspect in ("technical", "process"):  # enough data besides 30 days of usage for a colour
            await _signal(
                http, ingest, source, type="onboarding.confirmed", account_id=account, aspect=aspect, confirmed_by="c1"
            )
        await _usage(http, ingest, source, account, users=8)

        h = await eventually(
            lambda: _health_with(http, health, api_headers, account, active_users=0.8),
            what="score with 8 of 10 seats active",
        )
        got = await tail.collect(lambda rs: any(_counts_usage(r, account) for r in rs))
    by_key = {m["key"]: m for m in h["measures"]}
    # one healthy influential champion, and the tier "mid" wants two
    assert by_key["champion"]["raw"] == 50
    assert "exposure" not in by_key and "discount" not in by_key  # macro facts: renewal-risk factors only
    assert by_key["champion"]["detail"].startswith("1 of 2 healthy influential champions")
    assert by_key["nps"]["raw"] is None and by_key["nps"]["contribution"] == 0  # no data: left out
    assert abs(sum(m["contribution"] for m in h["measures"]) - h["value"]) < 0.05
    assert h["colour"] in ("green", "yellow") and h["scorecard_id"] == "default"
    assert set(h["trend"]) == {"7d", "30d", "90d"}
    # the score that counts the usage (an earlier one, on the CRM's news alone, may say too little to colour)
    changed = next(r for r in got if _counts_usage(r, account))
    assert changed.payload["new_value"] > 0 and changed.envelope.key == account
    async with httpx.AsyncClient() as http:
        users = (await http.get(f"{health.url}/v1/accounts/{account}/users", headers=api_headers)).json()
        listed = (
            await http.get(f"{health.url}/v1/accounts", params={"tier": "mid", "sort": "-score"}, headers=api_headers)
        ).json()
        history = (await http.get(f"{health.url}/v1/accounts/{account}/health/history", headers=api_headers)).json()
    assert len(users) == 8 and {u["status"] for u in users} == {"active"}
    async with httpx.AsyncClient() as http:
        usage = (
            await http.get(f"{health.url}/v1/accounts/{account}/usage", params={"days": 7}, headers=api_headers)
        ).json()
    assert (usage["dau"], usage["wau"], usage["mau"]) == (8, 8, 8)
    assert usage["events"] == 8 and usage["by_event"] == [{"event": "Dashboard Viewed", "events": 8}]
    assert account in {i["account_id"] for i in listed["items"]}
    assert history and history[0]["value"] == h["value"]


async def test_a_burst_is_one_recompute_not_a_thousand(ingest, health, source, health_db, api_headers, run_id) -> None:
    account = f"burst-{run_id}"
    async with httpx.AsyncClient() as http:
        await _signal(http, ingest, source, type="account.upserted", account_id=account, seats=50)
        await eventually(lambda: _health(http, health, api_headers, account), what="first score")
        conn = await connect(health_db.url, schema="health")
        try:
            before = await conn.fetchval("SELECT recomputes FROM health.account_health WHERE account_id = $1", account)
            await _usage(http, ingest, source, account, users=40, per_user=25)  # 1,000 events in one burst

            async def all_counted() -> bool:
                n = await conn.fetchval("SELECT sum(events) FROM health.usage_daily WHERE account_id = $1", account)
                return bool(n == 1000)

            await eventually(all_counted, what="1,000 events in the rollups")
            await eventually(lambda: _recomputed(conn, account, before), what="a recompute after the burst")
            after = await conn.fetchval("SELECT recomputes FROM health.account_health WHERE account_id = $1", account)
        finally:
            await conn.close()
    assert 1 <= after - before <= 5, f"{after - before} recomputes for one burst"


async def _recomputed(conn: asyncpg.Connection, account: str, before: int) -> bool:
    row = await conn.fetchrow("SELECT recomputes, measures FROM health.account_health WHERE account_id = $1", account)
    users = next(m for m in row["measures"] if m["key"] == "active_users")
    return bool(row["recomputes"] > before and users["raw"] == 0.8)


async def test_redelivered_events_change_nothing(health, health_db, kafka_bootstrap, run_id) -> None:
    account = f"redeliver-{run_id}"
    now = datetime.now(UTC)
    envelopes = [
        usage_envelope(f"{run_id}-{i}", account, event="Report Run", user=f"u{i % 3}", timestamp=now) for i in range(30)
    ]
    producer = create_producer(kafka_bootstrap, client_id="redeliver")
    await producer.start()
    conn = await connect(health_db.url, schema="health")
    try:
        await publish(producer, envelopes[:20] + envelopes[10:30] + envelopes[::-1], timeout_s=30)  # repeats, reordered
        await publish(
            producer,
            [usage_envelope(f"{run_id}-sentinel", account, event="Sentinel", user="z", timestamp=now)],
            timeout_s=30,
        )

        async def sentinel() -> bool:
            return bool(
                await conn.fetchval(
                    "SELECT events FROM health.usage_daily WHERE account_id = $1 AND event = 'Sentinel'", account
                )
            )

        await eventually(sentinel, what="sentinel consumed after the repeats")
        counted = await conn.fetchval(
            "SELECT sum(events) FROM health.usage_daily WHERE account_id = $1 AND event = 'Report Run'", account
        )
        user_days = await conn.fetchval("SELECT sum(events) FROM health.user_days WHERE account_id = $1", account)
    finally:
        await conn.close()
        await producer.stop()
    assert counted == 30 and user_days == 31


async def test_poison_goes_to_the_dlq_and_the_consumer_keeps_going(health, health_db, kafka_bootstrap, run_id) -> None:
    account = f"poison-{run_id}"
    now = datetime.now(UTC)

    producer = create_producer(kafka_bootstrap, client_id="poison")
    await producer.start()
    conn = await connect(health_db.url, schema="health")
    try:
        async with TopicTail(kafka_bootstrap, topics.dlq(topics.USAGE)) as dead:
            await publish(
                producer,
                [
                    # no timestamp: cannot be counted
                    usage_envelope(f"{run_id}-bad", account, event="X", payload={"account_id": account, "event": "X"}),
                    usage_envelope(f"{run_id}-good", account, event="Good", timestamp=now),
                ],
                timeout_s=30,
            )
            got = await dead.collect(lambda rs: any(r.envelope.id == f"{run_id}-bad" for r in rs))

            async def good_counted() -> bool:
                return bool(
                    await conn.fetchval(
                        "SELECT events FROM health.usage_daily WHERE account_id = $1 AND event = 'Good'", account
                    )
                )

            await eventually(good_counted, what="the record after the poison processed")
    finally:
        await conn.close()
        await producer.stop()
    bad = next(r for r in got if r.envelope.id == f"{run_id}-bad")
    assert bad.headers["dlq_error_type"] == "KeyError" and bad.headers["dlq_consumer"].startswith("health-")


async def test_milestones_achieved_and_missed(ingest, health, source, api_headers, kafka_bootstrap, run_id) -> None:
    key = f"reports-{run_id}"
    fast, late = f"ms-fast-{run_id}", f"ms-late-{run_id}"
    today = date.today()
    async with TopicTail(kafka_bootstrap, topics.HEALTH) as tail, httpx.AsyncClient() as http:
        r = await http.post(
            f"{health.url}/v1/milestones",
            headers=api_headers,
            json={
                "key": key,
                "name": "Two people run a report",
                "event": f"Report Run {run_id}",
                "filters": {"kind": "weekly"},
                "threshold": 2,
                "distinct_users": True,
                "window_days": 7,
                "deadline_days": 30,
            },
        )
        assert r.status_code == 201, r.text
        await _signal(
            http,
            ingest,
            source,
            type="account.upserted",
            account_id=fast,
            seats=5,
            onboarding_started_at=str(today - timedelta(days=5)),
        )
        await _signal(
            http,
            ingest,
            source,
            type="account.upserted",
            account_id=late,
            seats=5,
            onboarding_started_at=str(today - timedelta(days=40)),
        )
        await _usage(http, ingest, source, fast, users=2, event=f"Report Run {run_id}", kind="weekly")
        await _usage(http, ingest, source, late, users=1, event="Dashboard Viewed")

        async def states() -> dict[str, Any] | None:
            out: dict[str, Any] = {}
            for acct in (fast, late):
                rows = (await http.get(f"{health.url}/v1/accounts/{acct}/milestones", headers=api_headers)).json()
                out[acct] = next((m for m in rows if m["key"] == key), None)
            return out if out[fast] and out[fast]["state"] == "achieved" and out[late]["state"] == "missed" else None

        found = await eventually(states, what="one milestone achieved, one missed")
        got = await tail.collect(
            lambda rs: (
                {"bellwether.health.milestone_achieved.v1", "bellwether.health.milestone_missed.v1"}
                <= {r.envelope.type for r in rs if r.payload.get("milestone_key") == key}
            )
        )
    assert found[fast]["time_to_value_days"] == 5
    achieved = next(
        r for r in got if r.envelope.type.endswith("milestone_achieved.v1") and r.payload.get("milestone_key") == key
    )
    assert achieved.envelope.subject == fast and achieved.payload["time_to_value_days"] == 5


async def test_scorecard_change_rescores_its_accounts_with_progress(
    ingest, health, source, api_headers, run_id
) -> None:
    tier = f"tier-{run_id}"
    accounts = [f"sc-{run_id}-{i}" for i in range(3)]
    async with httpx.AsyncClient() as http:
        for a in accounts:
            await _signal(http, ingest, source, type="account.upserted", account_id=a, seats=4, tier=tier)
            await _usage(http, ingest, source, a, users=2)
        for a in accounts:
            await eventually(partial(_health, http, health, api_headers, a), what=f"{a} scored")
        card = {
            "name": f"Usage only {run_id}",
            "tiers": [tier],
            "min_measures": 1,
            "measures": [
                {
                    "key": "active_users",
                    "type": "active_users",
                    "weight": 1,
                    "params": {"window_days": 7},
                    "scale": [{"raw": 0, "score": 0}, {"raw": 1, "score": 100}],
                }
            ],
        }
        r = await http.post(f"{health.url}/v1/scorecards", json=card, headers=api_headers)
        assert r.status_code == 201, r.text
        created = r.json()

        async def job_done() -> dict[str, Any] | None:
            j = (
                await http.get(f"{health.url}/v1/rescore-jobs/{created['rescore_job_id']}", headers=api_headers)
            ).json()
            return j if j["status"] == "done" else None

        job = await eventually(job_done, what="re-score job finished")
        healths = [await _health(http, health, api_headers, a) for a in accounts]
        card["thresholds"] = {"red_below": 60, "green_from": 90}
        v2 = (await http.put(f"{health.url}/v1/scorecards/{created['id']}", json=card, headers=api_headers)).json()
        await eventually(lambda: _version(http, health, api_headers, accounts[0], 2), what="version 2 applied")
    assert job["total"] == 3 and job["done"] == 3 and job["progress"] == 1.0
    for h in healths:
        assert h is not None and h["scorecard_id"] == created["id"] and h["value"] == 50.0  # 2 of 4 seats
        assert h["colour"] == "yellow"
    assert v2["version"] == 2


async def _version(http: httpx.AsyncClient, health, api_headers, account: str, version: int) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    h = await _health(http, health, api_headers, account)
    return h if h and h["scorecard_version"] == version and h["colour"] == "red" else None


async def test_scorecard_validation_names_the_field_and_auth_is_required(health, api_headers) -> None:
    bad = {
        "name": "x",
        "measures": [
            {
                "key": "u",
                "type": "active_users",
                "weight": 1,
                "scale": [{"raw": 0, "score": 0}, {"raw": 1, "score": 80}, {"raw": 2, "score": 10}],
            }
        ],
    }
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{health.url}/v1/scorecards", json=bad, headers=api_headers)
        unauth = await http.get(f"{health.url}/v1/accounts", headers={"Authorization": "Bearer nope"})
        breadth = await http.post(
            f"{health.url}/v1/scorecards",
            headers=api_headers,
            json={
                "name": "x",
                "measures": [
                    {
                        "key": "b",
                        "type": "feature_breadth",
                        "weight": 1,
                        "scale": [{"raw": 0, "score": 0}, {"raw": 100, "score": 100}],
                    }
                ],
            },
        )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "measures.0.scale"
    assert "rise or all fall" in r.json()["errors"][0]["reason"]
    assert breadth.status_code == 422 and "params.features" in breadth.json()["message"]
    assert unauth.status_code == 401


async def test_time_alone_moves_scores_without_any_event(
    health, health_db, ingest, source, api_headers, run_id
) -> None:
    """The decay schedule re-scores every account (every 2 s in this test session): an account whose
    users went quiet falls without any event arriving."""
    account = f"decay-{run_id}"
    async with httpx.AsyncClient() as http:
        await _signal(http, ingest, source, type="account.upserted", account_id=account, seats=4, tier=f"d-{run_id}")
        await _usage(http, ingest, source, account, users=4, days_ago=29)  # inside 30 days today, outside tomorrow
        # the first event is scored at once and the usage a moment later: wait for the score that counts it
        first = await eventually(
            lambda: _health_with(http, health, api_headers, account, active_users=1.0), what="score with the usage"
        )
        conn = await connect(health_db.url, schema="health")
        try:
            n0 = await conn.fetchval("SELECT recomputes FROM health.account_health WHERE account_id = $1", account)
            await eventually(lambda: _more(conn, account, n0), what="a scheduled re-score without new events")
        finally:
            await conn.close()
    # the same account, scored as of two days later by the real re-score path, has decayed (scored and
    # read in one transaction: the service's own workers keep re-scoring it as of today meanwhile)
    from bellwether_shared.db import create_pool
    from health import repository
    from health.recompute import recompute
    from health.settings import HealthSettings

    settings = HealthSettings(
        database_url=health_db.url, api_token=SecretStr("x" * 16), kafka_bootstrap_servers="127.0.0.1:1"
    )
    pool = await create_pool(health_db.url, schema="health", min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn, conn.transaction():
            # known for a month (past its grace period): its quiet users are silence, not history to come
            await conn.execute(
                "UPDATE accounts SET created_at = now() - interval '30 days' WHERE account_id = $1", account
            )
            async with repository.unit(conn, now=datetime.now(UTC) + timedelta(days=2)) as uow:
                await recompute(uow, claimed=[(account, None)], settings=settings)
            later = await conn.fetchrow("SELECT value, measures FROM account_health WHERE account_id = $1", account)
    finally:
        await pool.close()
    later_users = next(m for m in later["measures"] if m["key"] == "active_users")
    assert later_users["raw"] == 0.0 and later["value"] < first["value"]


async def _more(conn: asyncpg.Connection, account: str, n0: int) -> bool:
    return bool(
        await conn.fetchval("SELECT recomputes > $2 FROM health.account_health WHERE account_id = $1", account, n0)
    )


async def test_a_separate_worker_process_scores_queued_accounts(health_db, kafka_bootstrap, tmp_path, run_id) -> None:
    """``python -m health.worker`` re-scores without the API or the consumer (scale scoring apart)."""
    from conftest import health_env
    from devkit.services import ServiceProcess

    account = f"worker-{run_id}"
    conn = await connect(health_db.url, schema="health")
    try:
        await conn.execute(
            "INSERT INTO accounts (account_id, seats, first_usage_on) VALUES ($1, 2, current_date)", account
        )
        await conn.execute("INSERT INTO user_days VALUES ($1, current_date, 'u1', 3)", account)
        await conn.execute("INSERT INTO recompute_queue (account_id, due_at) VALUES ($1, now())", account)
        worker = ServiceProcess(
            "health.worker", health_env(health_db, kafka_bootstrap, LOG_LEVEL="INFO"), tmp_path / "worker.log"
        ).start(started_log="worker started")
        try:

            async def scored() -> Any:
                return await conn.fetchrow("SELECT measures FROM account_health WHERE account_id = $1", account)

            row = await eventually(scored, what="the worker scored the queued account")
        finally:
            assert worker.stop() == 0  # SIGTERM: a clean stop
    finally:
        await conn.close()
    users = next(m for m in row["measures"] if m["key"] == "active_users")
    assert users["raw"] == 0.5
