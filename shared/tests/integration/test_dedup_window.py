"""The de-duplication window, end to end on a real consumer: an event id re-sent at any age inside
``DEDUP_WINDOW_DAYS`` is applied once; beyond the window its id is forgotten and a re-send counts
again (what the README documents). Ageing is done on the inbox row itself, not with a fake clock:
the consumer prunes with the database's ``now()``."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from bellwether_shared import inbox
from bellwether_shared.consumer import ConsumerLoop
from bellwether_shared.envelope import Envelope
from bellwether_shared.kafka import create_producer, publish
from bellwether_shared.settings import ServiceSettings
from bellwether_shared.topics import TOPICS, TopicSpec, dlq, ensure_topics
from tests.support.counter import make_handler
from tests.support.wait import eventually

pytestmark = pytest.mark.integration
WINDOW = timedelta(days=30)


def env(topic: str, eid: str) -> Envelope:
    return Envelope(
        id=eid, type="bellwether.test.thing_happened.v1", source="bellwether/test", topic=topic, data=orjson.dumps({})
    )


async def _count(pool: asyncpg.Pool, event_id: str) -> int | None:
    n = await pool.fetchval("SELECT n FROM seen WHERE event_id = $1", event_id)
    return int(n) if n is not None else None


async def _deliver(
    pool: asyncpg.Pool, producer: AIOKafkaProducer, bootstrap: str, topic: str, name: str, *events: Envelope
) -> None:
    """Publish, then run a fresh consumer (it prunes its inbox at start) until the last event is applied."""
    await publish(producer, list(events), timeout_s=30)
    loop = ConsumerLoop(
        name=name,
        topics=[topic],
        bootstrap_servers=bootstrap,
        pool=pool,
        handler=make_handler(None),
        producer=producer,
        inbox_retention=WINDOW,
    )
    await loop.start()
    try:
        await eventually(lambda: _count(pool, events[-1].id), what=f"{events[-1].id} applied")
    finally:
        await loop.stop()


async def _age(pool: asyncpg.Pool, name: str, event_id: str, age: timedelta) -> None:
    status = await pool.execute(
        "UPDATE inbox SET processed_at = now() - $3::interval WHERE consumer = $1 AND event_id = $2::uuid",
        name,
        inbox.key(event_id),
        age,
    )
    assert status == "UPDATE 1"


async def test_a_resend_inside_the_window_is_applied_once_and_beyond_it_counts_again(
    counter_pool, kafka_bootstrap, run_id
) -> None:
    topic, name = f"test.dedup.{run_id}", f"dedup-{run_id}"
    await ensure_topics(kafka_bootstrap, (TopicSpec(topic, 1), TopicSpec(dlq(topic), 1)))
    producer = create_producer(kafka_bootstrap, client_id="dedup")
    await producer.start()
    x = env(topic, f"{run_id}-x")
    try:
        await _deliver(counter_pool, producer, kafka_bootstrap, topic, name, x)
        await _age(counter_pool, name, x.id, WINDOW - timedelta(hours=1))  # 29 days 23 hours old
        await _deliver(counter_pool, producer, kafka_bootstrap, topic, name, x, env(topic, f"{run_id}-end1"))
        assert await _count(counter_pool, x.id) == 1, "a re-send inside the window was applied twice"
        await _age(counter_pool, name, x.id, WINDOW + timedelta(hours=1))  # past the window: pruned at start
        await _deliver(counter_pool, producer, kafka_bootstrap, topic, name, x, env(topic, f"{run_id}-end2"))
        assert await _count(counter_pool, x.id) == 2, "beyond the window the id is forgotten (documented)"
    finally:
        await producer.stop()


def test_the_window_covers_every_topic_a_consumer_can_be_redelivered_from() -> None:
    """A redelivery can only come from what the topics still hold (dead letters replayed included):
    the smallest window allowed is at least the longest retention."""
    floor = ServiceSettings.model_fields["dedup_window_days"].metadata
    minimum = next(m.ge for m in floor if hasattr(m, "ge"))
    assert max(t.retention_ms for t in TOPICS) <= minimum * 24 * 3600 * 1000
