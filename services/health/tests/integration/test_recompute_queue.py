"""The re-score queue's lease on the real PostgreSQL: the consumer's rollup never waits for a re-score
in flight, what it queues meanwhile is re-scored once more, and a claim whose worker died or failed
comes back. A database of its own, so no running health worker claims these rows first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from bellwether_shared import outbox
from bellwether_shared.db import connect
from bellwether_shared.envelope import Envelope
from conftest import ServiceDb, migrated, new_database
from devkit.infra import Endpoints
from health import queue_repository, repository

LEASE = timedelta(seconds=60)
NOW = datetime.now(UTC)
WINDOW = timedelta(milliseconds=200)


@pytest.fixture(scope="module")
def queue_db(endpoints: Endpoints) -> ServiceDb:
    return migrated(new_database(endpoints.admin_database_url), "health")


@pytest.fixture
async def conns(queue_db: ServiceDb) -> AsyncIterator[tuple[asyncpg.Connection, asyncpg.Connection]]:
    a, b = await connect(queue_db.url, schema="health"), await connect(queue_db.url, schema="health")
    try:
        yield a, b
    finally:
        await a.execute("TRUNCATE recompute_queue, accounts, usage_daily, user_days")
        await a.close()
        await b.close()


async def _rollup(conn: asyncpg.Connection, account: str) -> None:
    await repository.apply_rollups(
        conn,
        accounts=[account],
        usage=[(account, NOW.date(), "Report Run", 1)],
        users=[(account, NOW.date(), "u1", 1)],
        hits=[],
        now=NOW,
        window=WINDOW,
    )


async def _queue(conn: asyncpg.Connection) -> dict[str, asyncpg.Record]:
    return {r["account_id"]: r for r in await conn.fetch("SELECT * FROM recompute_queue")}


async def test_a_rollup_during_a_rescore_neither_waits_nor_is_lost(conns, run_id) -> None:
    worker, consumer = conns
    touched, quiet = f"t-{run_id}", f"q-{run_id}"
    await queue_repository.enqueue(worker, account_ids=[touched, quiet], due_at=NOW - timedelta(seconds=1))
    claim = await queue_repository.claim_due(worker, limit=10, lease=LEASE)
    assert claim.lease is not None and sorted(a for a, _, _ in claim.due) == [quiet, touched]
    again = await queue_repository.claim_due(consumer, limit=10, lease=LEASE)
    async with worker.transaction():  # the re-score in flight
        await worker.execute("INSERT INTO accounts (account_id, tier) VALUES ($1, 'gold')", quiet)
        await consumer.execute("SET lock_timeout = '1s'")  # a wait on the re-score would fail here
        await _rollup(consumer, touched)
        during = await _queue(consumer)
        next_due = NOW + WINDOW
        await queue_repository.release(worker, accounts=[touched, quiet], lease=claim.lease, next_due=next_due)
    after = await _queue(worker)
    usage = await worker.fetchval("SELECT events FROM usage_daily WHERE account_id = $1", touched)
    assert again.due == [] and again.lease is None  # leased: no second worker gets them
    assert during[touched]["dirty"] and during[touched]["claimed_until"] == claim.lease
    assert list(after) == [touched] and usage == 1  # the untouched one is done, the touched one waits again
    assert (after[touched]["due_at"], after[touched]["claimed_until"], after[touched]["dirty"]) == (
        next_due,
        None,
        False,
    )


async def test_a_lease_that_ran_out_is_claimed_again_and_only_its_holder_ends_it(conns, run_id) -> None:
    first, second = conns
    account = f"l-{run_id}"
    await queue_repository.enqueue(first, account_ids=[account], due_at=NOW - timedelta(seconds=1))
    dead = await queue_repository.claim_due(first, limit=10, lease=timedelta(microseconds=1))  # its worker died
    taken = await queue_repository.claim_due(second, limit=10, lease=LEASE)
    assert dead.lease is not None and taken.lease is not None and taken.due == dead.due
    await queue_repository.release(first, accounts=[account], lease=dead.lease, next_due=NOW)  # too late: no effect
    still = await _queue(first)
    await queue_repository.release(second, accounts=[account], lease=taken.lease, next_due=NOW)
    assert still[account]["claimed_until"] == taken.lease and await _queue(first) == {}


async def test_a_failed_rescore_hands_its_accounts_back_at_once(conns, run_id) -> None:
    worker, other = conns
    account = f"f-{run_id}"
    await queue_repository.enqueue(worker, account_ids=[account], due_at=NOW - timedelta(seconds=1), job_id=None)
    failed = await queue_repository.claim_due(worker, limit=10, lease=LEASE)
    assert failed.lease is not None
    await queue_repository.unclaim(worker, accounts=[account], lease=failed.lease)
    retried = await queue_repository.claim_due(other, limit=10, lease=LEASE)
    assert [a for a, _, _ in retried.due] == [account]


async def test_a_rescore_job_queued_during_a_claim_is_kept_for_the_next_one(conns, run_id) -> None:
    worker, scheduler = conns
    account = f"j-{run_id}"
    await queue_repository.enqueue(worker, account_ids=[account], due_at=NOW - timedelta(seconds=1), job_id=7)
    claim = await queue_repository.claim_due(worker, limit=10, lease=LEASE)
    await queue_repository.enqueue(scheduler, account_ids=[account], due_at=NOW, job_id=8)  # a new job meanwhile
    assert claim.lease is not None
    await queue_repository.release(worker, accounts=[account], lease=claim.lease, next_due=NOW)
    nxt = await queue_repository.claim_due(scheduler, limit=10, lease=LEASE)
    assert claim.due == [(account, 7, {})] and nxt.due == [(account, 8, {})]


async def _tuples(conn: asyncpg.Connection) -> float:
    believed: float = await conn.fetchval("SELECT reltuples FROM pg_class WHERE oid = 'recompute_queue'::regclass")
    return believed


async def test_plans_of_a_burst_do_not_scan_what_the_burst_left(conns, run_id) -> None:
    """Statistics lag a burst (autovacuum's analyze runs a minute later at best), so the plans of the
    re-score's hot statements must hold while they lag: a bulk enqueue refreshes the queue's own, and
    the relay deletes what it published by place (a TID scan), whatever the outbox's look like."""
    worker, _ = conns
    await worker.execute("ANALYZE recompute_queue; ANALYZE outbox")  # both empty now: the stale view
    ids = [f"b{i:05d}-{run_id}" for i in range(queue_repository.BULK)]
    await queue_repository.enqueue(worker, account_ids=ids[:-1], due_at=NOW)
    assert await _tuples(worker) <= 0, "below a bulk, autovacuum's analyze is left to do it"
    async with worker.transaction():
        await queue_repository.enqueue(worker, account_ids=ids, due_at=NOW)
        assert await _tuples(worker) >= queue_repository.BULK, "the planner sees the queue the burst made"
    backlog = worker.transaction()  # rows the statistics have not seen, only there to be planned over
    await backlog.start()
    try:
        events = [Envelope(id=f"e{i}-{run_id}", type="t", source="s", topic="x", data=b"{}") for i in range(2_000)]
        await outbox.add(worker, events)
        plan = [r[0] for r in await worker.fetch(f"EXPLAIN {outbox._DELETE}", [(0, 1), (0, 2)])]
    finally:
        await backlog.rollback()
    assert "Tid Scan" in plan[1], plan
