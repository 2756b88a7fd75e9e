"""Every delivery-repository function on the migrated schema, in a rolled-back transaction:
destinations and subscriptions, the routes a recipient's alerts take, the lease a claim takes, the
outcomes a round records (succeeded, retried, given up), failing and recovered destinations, the
backoff pulled forward, listing, replay and deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from notifications import delivery_repository as dr, destination_repository as dests
from notifications.schemas import SubscriptionIn
from tests.support.db import rolled_back

NOW = datetime.now(UTC)


async def _destination(conn: asyncpg.Connection, dest: str) -> None:
    await dests.insert_destination(
        conn, d=dests.NewDestination(destination_id=dest, name="d", kind="webhook", target="https://x.test/h")
    )


def _delivery(i: int, dest: str, run_id: str) -> dr.NewDelivery:
    return dr.NewDelivery(
        delivery_id=f"msg-{run_id}-{i}",
        destination_id=dest,
        digest_id=f"dg-{run_id}",
        recipient="p",
        kind="webhook",
        payload=b"{}",
    )


async def test_destinations_subscriptions_and_routes(notifications_db, run_id) -> None:
    dest, other = f"d-{run_id}", f"o-{run_id}"
    async with rolled_back(notifications_db.url, schema="notifications") as conn:
        await _destination(conn, dest)
        await _destination(conn, other)
        for sid, d, recipient in (("s1", dest, f"p-{run_id}"), ("s2", other, "role:csm"), ("s3", dest, "*")):
            await dests.add_subscription(
                conn,
                subscription_id=f"{sid}-{run_id}",
                s=SubscriptionIn(destination_id=d, recipient=recipient, min_severity="info"),
            )
        as_csm = await dests.routes(conn, recipient=f"p-{run_id}", role="csm")
        await dests.set_enabled(conn, destination_id=other, enabled=False, reason="paused")
        disabled_left_out = await dests.routes(conn, recipient=f"p-{run_id}", role="csm")
        assert await dests.disable(conn, destination_id=dest, reason="failing") is True
        assert await dests.disable(conn, destination_id=dest, reason="again") is False  # only once
        await dests.set_secrets(conn, destination_id=dest, secrets=[{"sealed": "x"}])
        await dests.set_target(conn, destination_id=dest, target="ops@x.test")
        got = await dests.get_destination(conn, destination_id=dest, lock=True)
        listed = {r["destination_id"] for r in await dests.list_destinations(conn)}
        subs = await dests.list_subscriptions(conn, destination_id=dest)
        assert await dests.delete_subscription(conn, subscription_id=f"s1-{run_id}")
        assert not await dests.delete_subscription(conn, subscription_id=f"s1-{run_id}")
    mine = [(r["destination_id"]) for r in as_csm if r["destination_id"] in (dest, other)]
    assert sorted(mine) == sorted([dest, dest, other])  # by name, by "*", by role
    assert other not in {r["destination_id"] for r in disabled_left_out}
    assert got is not None and got["target"] == "ops@x.test" and got["secrets"] == [{"sealed": "x"}]
    assert not got["enabled"] and got["disabled_reason"] == "failing"
    assert {dest, other} <= listed and len(subs) == 2


async def test_claims_lease_outcomes_backoff_and_replay(notifications_db, run_id) -> None:
    dest = f"d-{run_id}"
    ids = [f"msg-{run_id}-{i}" for i in range(3)]
    async with rolled_back(notifications_db.url, schema="notifications") as conn:
        now: datetime = await conn.fetchval("SELECT now()")  # the transaction's: deliveries default to it
        await _destination(conn, dest)
        await conn.execute(
            "INSERT INTO digests (digest_id, recipient, period, alerts) VALUES ($1, 'p', 'daily', 1)", f"dg-{run_id}"
        )
        assert await dr.add_deliveries(conn, rows=[_delivery(i, dest, run_id) for i in range(3)]) == 3
        claimed = await dr.claim_due(conn, limit=10, lease_s=60, now=now + timedelta(seconds=1))
        mine = [r for r in claimed if r["destination_id"] == dest]
        leased_again = [
            r
            for r in await dr.claim_due(conn, limit=10, lease_s=60, now=now + timedelta(seconds=2))
            if r["destination_id"] == dest
        ]
        later = now + timedelta(minutes=5)
        await dr.record_attempts(
            conn,
            now=now,
            rows=[
                dr.Attempt(
                    delivery_id=ids[0],
                    attempt=1,
                    status_code=200,
                    error=None,
                    latency_ms=5.0,
                    ok=True,
                    next_attempt_at=None,
                ),
                dr.Attempt(
                    delivery_id=ids[1],
                    attempt=1,
                    status_code=500,
                    error="HTTP 500",
                    latency_ms=5.0,
                    ok=False,
                    next_attempt_at=later,
                ),
                dr.Attempt(
                    delivery_id=ids[2],
                    attempt=1,
                    status_code=410,
                    error="gone",
                    latency_ms=5.0,
                    ok=False,
                    next_attempt_at=None,
                ),
            ],
        )
        states = {i: (await dr.get_delivery(conn, delivery_id=i))["status"] for i in ids}  # type: ignore[index]
        log = await dr.attempts(conn, delivery_id=ids[1])
        failing = await dr.mark_failing(conn, destination_ids=[dest], now=now)
        still = await dr.mark_failing(conn, destination_ids=[dest], now=now + timedelta(hours=1))
        pulled = await dr.pull_forward(conn, destination_id=dest, now=now + timedelta(seconds=3))
        back = await dr.recovered(conn, destination_ids=[dest])
        pending = await dr.list_deliveries(conn, destination_id=dest, status="pending", limit=10, offset=0)
        replayed = await dr.replay(conn, delivery_ids=[ids[2]], destination_id=None, since=None)
        assert await dests.delete_destination(conn, destination_id=dest)
        after_delete = {
            r["delivery_id"]: r["status"]
            for r in await dr.list_deliveries(conn, destination_id=dest, status=None, limit=10, offset=0)
        }
    assert len(mine) == 3 and leased_again == []  # a lease keeps other senders off
    assert states == {ids[0]: "succeeded", ids[1]: "pending", ids[2]: "failed"}
    assert [(a["attempt"], a["status_code"]) for a in log] == [(1, 500)]
    assert failing[0]["failing_since"] == now and still[0]["failing_since"] == now  # the first failure stays
    assert pulled == 1 and back == [dest]
    assert [p["delivery_id"] for p in pending] == [ids[1]] and replayed == 1
    assert after_delete == {ids[0]: "succeeded", ids[1]: "failed", ids[2]: "failed"}  # pending ones end
