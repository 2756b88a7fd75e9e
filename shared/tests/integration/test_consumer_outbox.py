"""Outbox relay, consumer loop, inbox and dead-letter topic against real Kafka and PostgreSQL."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from collections import defaultdict

import asyncpg
import orjson
import pytest
from opentelemetry import trace

from bellwether_shared import outbox
from bellwether_shared.consumer import ConsumerLoop
from bellwether_shared.envelope import Envelope
from bellwether_shared.kafka import create_producer, publish
from bellwether_shared.migrate import MigrationError, migrate, migrations_for
from bellwether_shared.telemetry import setup_telemetry
from bellwether_shared.topics import TopicSpec, dlq, ensure_topics
from devkit.kafka import TopicTail
from tests.support.counter import make_handler
from tests.support.wait import eventually


@pytest.fixture
def pool(counter_pool: asyncpg.Pool) -> asyncpg.Pool:
    return counter_pool


async def new_topic(bootstrap: str, name: str, partitions: int = 3) -> str:
    await ensure_topics(bootstrap, (TopicSpec(name, partitions), TopicSpec(dlq(name), 1)))
    return name


def env(topic: str, eid: str, account: str, **data: object) -> Envelope:
    return Envelope(
        id=eid,
        type="bellwether.test.thing_happened.v1",
        source="bellwether/test",
        topic=topic,
        data=orjson.dumps(data),
        subject=account,
    )


async def produce(bootstrap: str, envelopes: list[Envelope], raw: list[tuple[str, bytes]] | None = None) -> None:
    producer = create_producer(bootstrap, client_id="test-producer")
    await producer.start()
    try:
        await publish(producer, envelopes, timeout_s=30)
        for topic, value in raw or []:
            await producer.send_and_wait(topic, value=value, key=b"x")
    finally:
        await producer.stop()


async def seen(pool: asyncpg.Pool, prefix: str) -> dict[str, int]:
    rows = await pool.fetch("SELECT event_id, n FROM seen WHERE event_id LIKE $1 || '%'", prefix)
    return {r["event_id"]: r["n"] for r in rows}


async def test_outbox_relays_keep_per_aggregate_order_and_trace_context(pool, kafka_bootstrap, run_id) -> None:
    setup_telemetry(service="tests")
    topic = await new_topic(kafka_bootstrap, f"test.outbox.{run_id}")
    tracer = trace.get_tracer("tests")
    accounts = [f"{run_id}-a{i}" for i in range(5)]
    with tracer.start_as_current_span("state change") as span:
        writer_trace = format(span.get_span_context().trace_id, "032x")
        for t in range(30):  # 30 transactions of 10 rows, interleaving the accounts
            async with pool.acquire() as conn, conn.transaction():
                await outbox.add(
                    conn, [env(topic, f"{run_id}-{t}-{i}", accounts[i % 5], seq=t * 10 + i) for i in range(10)]
                )
    producers = [create_producer(kafka_bootstrap, client_id=f"relay-{i}") for i in range(2)]
    async with TopicTail(kafka_bootstrap, topic) as tail:
        for p in producers:
            await p.start()
        relays = [outbox.OutboxRelay(pool, p, batch_size=7, poll_interval_s=0.01) for p in producers]
        for relay in relays:
            relay.start()
        try:
            await eventually(lambda: _outbox_empty(pool), what="outbox drained")
            # a sentinel per account (its partition): once all are read, any duplicate was read too
            async with pool.acquire() as conn, conn.transaction():
                await outbox.add(conn, [env(topic, f"{run_id}-end-{a}", a, seq=10_000) for a in accounts])
            everything = await tail.collect(
                lambda rs: {f"{run_id}-end-{a}" for a in accounts} <= {r.envelope.id for r in rs}
            )
            got = [r for r in everything if "-end-" not in r.envelope.id]
        finally:
            for relay in relays:
                await relay.stop()
            for p in producers:
                await p.stop()
    assert len(got) == 300 and len({r.envelope.id for r in got}) == 300
    assert sum(relay.published for relay in relays) == 305
    per_account: dict[str, list[int]] = defaultdict(list)
    for r in got:
        per_account[r.envelope.subject or ""].append(r.payload["seq"])
        assert r.headers["traceparent"].split("-")[1] == writer_trace
    assert set(per_account) == set(accounts)
    for seqs in per_account.values():
        assert seqs == sorted(seqs), "an aggregate's events were reordered"


async def _outbox_empty(pool: asyncpg.Pool) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM outbox") == 0)


async def test_inbox_makes_redelivery_a_no_op_and_outbox_round_trips(pool, kafka_bootstrap, run_id) -> None:
    topic = await new_topic(kafka_bootstrap, f"test.in.{run_id}")
    out = await new_topic(kafka_bootstrap, f"test.out.{run_id}")
    first = [env(topic, f"{run_id}-{i}", f"acct-{i % 7}", i=i) for i in range(200)]
    await produce(kafka_bootstrap, first + first[:50])  # duplicates inside the stream
    producer = create_producer(kafka_bootstrap, client_id="loop")
    await producer.start()
    loop = ConsumerLoop(
        name=f"counter-{run_id}",
        topics=[topic],
        bootstrap_servers=kafka_bootstrap,
        pool=pool,
        handler=make_handler(out),
        producer=producer,
        max_records=64,
    )
    relay = outbox.OutboxRelay(pool, producer, poll_interval_s=0.01)
    try:
        async with TopicTail(kafka_bootstrap, out) as tail:
            await loop.start()
            relay.start()
            await eventually(lambda: _count(pool, run_id, 200), what="200 events processed")
            # redelivery, then a sentinel per key: once their outputs are read, every output was
            ends = [env(topic, f"{run_id}-end-{k}", f"acct-{k}") for k in range(7)]
            await produce(kafka_bootstrap, [*first, *ends])
            await eventually(lambda: _count(pool, run_id, 207), what="sentinels processed")
            outgoing = await tail.collect(lambda rs: {"out-" + e.id for e in ends} <= {r.envelope.id for r in rs})
    finally:
        await relay.stop()
        await loop.stop()
        await producer.stop()
    counts = await seen(pool, run_id)
    assert len(counts) == 207 and set(counts.values()) == {1}, "an event was applied twice"
    assert sorted(r.envelope.id for r in outgoing) == sorted("out-" + e for e in counts)  # each once
    assert loop.processed == 207


async def _count(pool: asyncpg.Pool, prefix: str, n: int) -> bool:
    return len(await seen(pool, prefix)) >= n


async def test_poison_records_go_to_the_dead_letter_topic_and_the_partition_moves_on(
    pool, kafka_bootstrap, run_id
) -> None:
    topic = await new_topic(kafka_bootstrap, f"test.poison.{run_id}", partitions=1)
    producer = create_producer(kafka_bootstrap, client_id="loop")
    await producer.start()
    loop = ConsumerLoop(
        name=f"poison-{run_id}",
        topics=[topic],
        bootstrap_servers=kafka_bootstrap,
        pool=pool,
        handler=make_handler(None),
        producer=producer,
        max_attempts=2,
        retry_backoff_s=0.01,
    )
    try:
        async with TopicTail(kafka_bootstrap, dlq(topic)) as dead:
            await produce(
                kafka_bootstrap,
                [
                    env(topic, f"{run_id}-good1", "a"),
                    env(topic, f"{run_id}-bad", "a", poison=True),
                    dataclasses.replace(env(topic, f"{run_id}-notjson", "a"), data=b"{not json"),
                ],
                raw=[(topic, b"no envelope headers")],
            )
            await produce(kafka_bootstrap, [env(topic, f"{run_id}-good2", "a")])
            await loop.start()
            await eventually(lambda: _count(pool, f"{run_id}-good", 2), what="good records processed")
            # one partition, processed in order: a poison sentinel after good2 is the last dead letter
            await produce(kafka_bootstrap, [env(topic, f"{run_id}-end", "a", poison=True)])
            everything = await dead.collect(lambda rs: any(r.envelope.id == f"{run_id}-end" for r in rs))
            got = [r for r in everything if r.envelope.id != f"{run_id}-end"]
    finally:
        await loop.stop()
        await producer.stop()
    assert len(got) == 3
    by_error = {r.headers["dlq_error_type"]: r for r in got}
    assert set(by_error) == {"Poison", "EnvelopeError", "JSONDecodeError"}
    assert by_error["JSONDecodeError"].envelope.id == f"{run_id}-notjson"
    assert by_error["Poison"].headers["dlq_attempts"] == "2"
    assert by_error["Poison"].headers["dlq_original_topic"] == topic
    assert by_error["Poison"].envelope.id == f"{run_id}-bad"
    assert set(await seen(pool, run_id)) == {f"{run_id}-good1", f"{run_id}-good2"}


async def test_consumer_killed_mid_batch_resumes_without_loss_or_double_count(
    pool, counter_db, kafka_bootstrap, run_id, tmp_path
) -> None:
    topic = await new_topic(kafka_bootstrap, f"test.kill.{run_id}")
    await produce(kafka_bootstrap, [env(topic, f"{run_id}-{i}", f"acct-{i % 11}") for i in range(1500)])
    environment = {
        **os.environ,
        "DATABASE_URL": counter_db,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC": topic,
        "CONSUMER_NAME": f"kill-{run_id}",
        "DELAY_S": "0.02",
        "MAX_RECORDS": "50",
    }
    log = tmp_path / "consumer.log"

    def start() -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "tests.support.counter"], env=environment, stdout=out, stderr=subprocess.STDOUT
            )

    proc = start()
    try:
        await eventually(lambda: _count(pool, run_id, 300), timeout=60, what="some progress before the kill")
        proc.send_signal(signal.SIGKILL)  # no chance to finish or commit anything
        proc.wait(timeout=10)
        before = len(await seen(pool, run_id))
        assert before < 1500, "too late to kill mid-stream"
        proc = start()
        await eventually(lambda: _count(pool, run_id, 1500), timeout=90, what="all 1500 processed after restart")
        proc.send_signal(signal.SIGTERM)  # graceful: finishes the batch in flight and commits
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    counts = await seen(pool, run_id)
    assert len(counts) == 1500 and max(counts.values()) == 1
    assert "consumer stopped after" in log.read_text()


async def test_migrations_are_idempotent_and_refuse_edited_files(counter_db: str) -> None:
    assert await migrate(counter_db, service="tests.support.counter", schema="counter") == []
    name = "tests.support.counter/0001_counter.sql"
    real = next(m.checksum for m in migrations_for("tests.support.counter") if m.name == name)
    conn = await asyncpg.connect(counter_db)
    try:
        await conn.execute("UPDATE counter.schema_migrations SET checksum = 'edited' WHERE name = $1", name)
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(counter_db, service="tests.support.counter", schema="counter")
    finally:
        await conn.execute("UPDATE counter.schema_migrations SET checksum = $1 WHERE name = $2", real, name)
        await conn.close()


async def test_inbox_claims_once_and_prunes_only_old_ids(pool, run_id) -> None:
    import uuid
    from datetime import timedelta

    from bellwether_shared import inbox

    u = str(uuid.uuid4())
    async with pool.acquire() as conn:
        assert await inbox.claim(conn, consumer=run_id, event_id="e1") is True
        assert await inbox.claim(conn, consumer=run_id, event_id="e1") is False
        assert await inbox.claim_many(conn, consumer=run_id, event_ids=["e1", "e2", "e2", "e3", u]) == {"e2", "e3", u}
        assert await inbox.claim(conn, consumer=run_id, event_id=u.upper()) is False  # one uuid, any spelling
        await conn.execute(
            "UPDATE inbox SET processed_at = now() - interval '30 days' WHERE consumer = $1 AND event_id = $2::uuid",
            run_id,
            inbox.key("e2"),
        )
        assert await inbox.prune(conn, consumer=run_id, older_than=timedelta(days=14)) == 1
        left = await conn.fetch("SELECT event_id::text FROM inbox WHERE consumer = $1", run_id)
    assert sorted(r["event_id"] for r in left) == sorted([inbox.key("e1"), inbox.key("e3"), u])
    # a non-uuid id is keyed the way migration 0002 converted stored rows: md5(id)::uuid
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT md5('e1')::uuid::text") == inbox.key("e1")


async def test_rebalances_move_partitions_without_loss_or_double_count(pool, kafka_bootstrap, run_id) -> None:
    """A second member joins mid-stream, then the first leaves: partitions move twice."""
    topic = await new_topic(kafka_bootstrap, f"test.rebalance.{run_id}", partitions=6)
    await produce(kafka_bootstrap, [env(topic, f"{run_id}-{i}", f"acct-{i % 13}") for i in range(3000)])
    producer = create_producer(kafka_bootstrap, client_id="loop")
    await producer.start()

    def member() -> ConsumerLoop:
        return ConsumerLoop(
            name=f"rebalance-{run_id}",
            topics=[topic],
            bootstrap_servers=kafka_bootstrap,
            pool=pool,
            handler=make_handler(None, delay_s=0.05),
            producer=producer,
            max_records=20,
        )

    first, second = member(), member()
    try:
        await first.start()
        await eventually(lambda: _count(pool, run_id, 500), what="first member progressing")
        await second.start()
        await eventually(lambda: _count(pool, run_id, 1500), what="both members progressing")
        assert second.consumer.assignment(), "the second member got no partitions"
        await first.stop()  # leaves the group after committing its batch in flight
        await eventually(lambda: _count(pool, run_id, 3000), timeout=60, what="all 3000 processed")
    finally:
        await first.stop()
        await second.stop()
        await producer.stop()
    counts = await seen(pool, run_id)
    assert len(counts) == 3000 and max(counts.values()) == 1
    assert first.processed > 0 and second.processed > 0
