"""The consumer loop on its failure paths, against real Kafka and PostgreSQL with real triggers:
a stop during the record-by-record retry, poison records in a batch spanning partitions, a
read-only database and terminated backends, a lock held elsewhere, and a Kafka error that used to
end the consumer task."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from bellwether_shared.consumer import ConsumerLoop
from bellwether_shared.db import create_pool
from bellwether_shared.envelope import Envelope
from bellwether_shared.kafka import create_producer
from bellwether_shared.topics import TopicSpec, dlq, ensure_topics
from devkit.kafka import TopicTail
from tests.support.counter import make_handler
from tests.support.wait import eventually

pytestmark = pytest.mark.integration


def env(topic: str, eid: str, **data: object) -> Envelope:
    return Envelope(
        id=eid, type="bellwether.test.thing_happened.v1", source="bellwether/test", topic=topic, data=orjson.dumps(data)
    )


async def produce_to(bootstrap: str, items: list[tuple[int, Envelope]]) -> None:
    """Each envelope to the partition given (a batch that spans partitions, on purpose)."""
    producer = create_producer(bootstrap, client_id="test-producer")
    await producer.start()
    try:
        for partition, e in items:
            await producer.send_and_wait(e.topic, value=e.data, key=b"k", headers=e.headers(), partition=partition)
    finally:
        await producer.stop()


async def seen(pool: asyncpg.Pool, prefix: str) -> dict[str, int]:
    rows = await pool.fetch("SELECT event_id, n FROM seen WHERE event_id LIKE $1 || '%'", prefix)
    return {r["event_id"]: r["n"] for r in rows}


def with_user(url: str, user: str, password: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, f"{user}:{password}@{p.hostname}:{p.port}", p.path, p.query, p.fragment))


@pytest.fixture
async def own_role(counter_db: str, counter_pool: asyncpg.Pool) -> AsyncIterator[tuple[str, str]]:
    """A login role of the test's own on the counter schema, so its settings touch nobody else."""
    role, password = f"ro_{secrets.token_hex(4)}", secrets.token_hex(8)
    await counter_pool.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    await counter_pool.execute(f"GRANT USAGE ON SCHEMA counter TO {role}")
    await counter_pool.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA counter TO {role}")
    await counter_pool.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA counter TO {role}")
    yield role, with_user(counter_db, role, password)
    await counter_pool.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'")
    await counter_pool.execute(f"DROP OWNED BY {role}")
    await counter_pool.execute(f"DROP ROLE {role}")


@pytest.fixture
async def loop_producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    """The producer a consumer loop writes its dead letters with."""
    producer = create_producer(kafka_bootstrap, client_id="loop")
    await producer.start()
    yield producer
    await producer.stop()


def loop_for(
    topic: str, pool: asyncpg.Pool, producer: AIOKafkaProducer, name: str, *, bootstrap: str, max_attempts: int = 3
) -> ConsumerLoop:
    return ConsumerLoop(
        name=name,
        topics=[topic],
        bootstrap_servers=bootstrap,
        pool=pool,
        handler=make_handler(None),
        producer=producer,
        max_records=100,
        retry_backoff_s=0.05,
        max_attempts=max_attempts,
    )


async def test_a_stop_during_the_record_by_record_retry_commits_nothing_unprocessed(
    counter_db, counter_pool, kafka_bootstrap, run_id, loop_producer
) -> None:
    """The batch fails on a poison record; retrying record by record, the first good record waits
    for a lock (lock_timeout: transient); a stop then must leave the offsets uncommitted."""
    topic = f"test.stop-retry.{run_id}"
    await ensure_topics(kafka_bootstrap, (TopicSpec(topic, 1), TopicSpec(dlq(topic), 1)))
    await produce_to(
        kafka_bootstrap,
        [
            (0, env(topic, f"{run_id}-good1")),
            (0, env(topic, f"{run_id}-bad", poison=True)),
            (0, env(topic, f"{run_id}-good2")),
        ],
    )
    pool = await create_pool(counter_db + "?lock_timeout=150", schema="counter", min_size=1, max_size=3)
    blocker = await asyncpg.connect(counter_db)
    tx = blocker.transaction()
    await tx.start()
    await blocker.execute("LOCK TABLE counter.seen IN ACCESS EXCLUSIVE MODE")
    first = loop_for(topic, pool, loop_producer, f"stop-retry-{run_id}", bootstrap=kafka_bootstrap)
    try:
        await first.start()
        await eventually(lambda: _retrying(first, 2), what="the good record retried behind the lock")
        await first.stop()
        await tx.rollback()
        assert await seen(counter_pool, run_id) == {}
        second = loop_for(topic, pool, loop_producer, f"stop-retry-{run_id}", bootstrap=kafka_bootstrap)
        await second.start()
        try:
            got = await eventually(lambda: _seen_all(counter_pool, run_id, 2), what="both good records applied")
        finally:
            await second.stop()
    finally:
        await blocker.close()
        await pool.close()
    assert got == {f"{run_id}-good1": 1, f"{run_id}-good2": 1}


async def _retrying(loop: ConsumerLoop, n: int) -> bool:
    return loop.transient_retries >= n


async def _seen_all(pool: asyncpg.Pool, prefix: str, n: int) -> dict[str, int] | None:
    got = await seen(pool, prefix)
    return got if len(got) >= n else None


async def test_dead_letters_are_the_poison_records_when_a_batch_spans_partitions(
    counter_pool, kafka_bootstrap, run_id, loop_producer
) -> None:
    """Offsets repeat across partitions: the DLQ must get the poison record of each partition, not
    another partition's record at the same offset."""
    topic = f"test.dlq-parts.{run_id}"
    await ensure_topics(kafka_bootstrap, (TopicSpec(topic, 2), TopicSpec(dlq(topic), 1)))
    await produce_to(
        kafka_bootstrap,
        [
            (0, env(topic, f"{run_id}-p0-good")),
            (0, env(topic, f"{run_id}-p0-bad", poison=True)),
            (1, env(topic, f"{run_id}-p1-bad", poison=True)),
            (1, env(topic, f"{run_id}-p1-good")),
        ],
    )
    loop = loop_for(
        topic, counter_pool, loop_producer, f"dlq-parts-{run_id}", bootstrap=kafka_bootstrap, max_attempts=1
    )
    try:
        async with TopicTail(kafka_bootstrap, dlq(topic)) as dead:
            await loop.start()
            got = await dead.collect(lambda rs: len(rs) >= 2)
            applied = await eventually(lambda: _seen_all(counter_pool, run_id, 2), what="good records applied")
    finally:
        await loop.stop()
    by_id = {r.envelope.id: r.headers for r in got}
    assert set(by_id) == {f"{run_id}-p0-bad", f"{run_id}-p1-bad"}
    assert by_id[f"{run_id}-p0-bad"]["dlq_original_partition"] == "0"
    assert by_id[f"{run_id}-p1-bad"]["dlq_original_partition"] == "1"
    assert set(applied) == {f"{run_id}-p0-good", f"{run_id}-p1-good"}


async def test_read_only_database_and_terminated_backends_are_waited_out_never_dead_lettered(
    counter_pool, own_role, kafka_bootstrap, run_id, loop_producer
) -> None:
    """A failover's read-only primary (25006) and backends terminated by an operator (57P01):
    retried until the database is writable again; nothing reaches the DLQ (a poison sentinel
    sent afterwards is the only dead letter)."""
    role, url = own_role
    topic = f"test.readonly.{run_id}"
    await ensure_topics(kafka_bootstrap, (TopicSpec(topic, 1), TopicSpec(dlq(topic), 1)))
    pool = await create_pool(url, schema="counter", min_size=1, max_size=3)
    await counter_pool.execute(f"ALTER ROLE {role} SET default_transaction_read_only = on")
    await counter_pool.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'")
    await produce_to(kafka_bootstrap, [(0, env(topic, f"{run_id}-{i}")) for i in range(20)])
    loop = loop_for(topic, pool, loop_producer, f"readonly-{run_id}", bootstrap=kafka_bootstrap, max_attempts=1)
    try:
        async with TopicTail(kafka_bootstrap, dlq(topic)) as dead:
            await loop.start()
            await eventually(lambda: _retrying(loop, 3), what="retries while read-only")
            assert await seen(counter_pool, run_id) == {}
            await counter_pool.execute(f"ALTER ROLE {role} RESET default_transaction_read_only")
            await counter_pool.execute(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
            )
            applied = await eventually(lambda: _seen_all(counter_pool, run_id, 20), timeout=60, what="all applied")
            await produce_to(kafka_bootstrap, [(0, env(topic, f"{run_id}-sentinel", poison=True))])
            got = await dead.collect(lambda rs: any(r.envelope.id == f"{run_id}-sentinel" for r in rs))
    finally:
        await loop.stop()
        await pool.close()
    assert len(applied) == 20 and set(applied.values()) == {1}
    assert [r.envelope.id for r in got] == [f"{run_id}-sentinel"]
    assert loop.dead_lettered == 1


async def test_a_kafka_error_rebuilds_the_consumer_and_liveness_reflects_it(
    counter_pool, kafka_bootstrap, run_id
) -> None:
    """The DLQ topic is missing, so dead-lettering fails with a Kafka error (this used to end the
    consumer task for good). The loop backs off, rebuilds its consumer, reports not alive once it
    has failed past its bound, and recovers when the topic exists: poison dead-lettered, the record
    after it applied."""
    topic = f"test.kafka-error.{run_id}"
    await ensure_topics(kafka_bootstrap, (TopicSpec(topic, 1),))
    await produce_to(kafka_bootstrap, [(0, env(topic, f"{run_id}-bad", poison=True)), (0, env(topic, f"{run_id}-ok"))])
    producer = create_producer(kafka_bootstrap, client_id="loop", request_timeout_ms=1500)
    await producer.start()
    loop = loop_for(topic, counter_pool, producer, f"kafka-error-{run_id}", bootstrap=kafka_bootstrap, max_attempts=1)
    loop.loop.max_down_s = 1.0
    try:
        await loop.start()
        await eventually(lambda: _failed(loop), timeout=30, what="the dead-letter write failed")
        await eventually(lambda: _not_alive(loop), timeout=30, what="liveness lost while failing")
        await ensure_topics(kafka_bootstrap, (TopicSpec(dlq(topic), 1),))
        applied = await eventually(lambda: _seen_all(counter_pool, run_id, 1), timeout=60, what="recovered")
        # the record commits inside the step; the step's success (and so liveness) follows just after
        await eventually(lambda: _recovered(loop), timeout=10, what="alive and healthy again")
    finally:
        await loop.stop()
        await producer.stop()
        await _delete_topics(kafka_bootstrap, [topic, dlq(topic)])
    assert applied == {f"{run_id}-ok": 1}
    assert loop.dead_lettered == 1


async def _failed(loop: ConsumerLoop) -> bool:
    return loop.loop.failures >= 1


async def _recovered(loop: ConsumerLoop) -> bool:
    return loop.alive and loop.healthy


async def _not_alive(loop: ConsumerLoop) -> bool:
    return not loop.alive


async def _delete_topics(bootstrap: str, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()
