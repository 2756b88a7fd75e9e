"""An operator replays dead letters with the CLI: a record fails for a cause outside it, is
dead-lettered, the cause is fixed, ``dlq replay`` sends it back and it is applied exactly once; a
second replay changes nothing (the inbox), proved by a sentinel replayed behind it."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from typer.testing import CliRunner

from bellwether_shared import dlq_ops
from bellwether_shared.consumer import ConsumerLoop
from bellwether_shared.envelope import Envelope
from bellwether_shared.kafka import create_producer, publish
from bellwether_shared.topics import TopicSpec, dlq, ensure_topics
from tests.support.counter import make_handler
from tests.support.wait import eventually
from tools.dlq import app as dlq_cli

pytestmark = pytest.mark.integration


def env(topic: str, eid: str, **data: object) -> Envelope:
    return Envelope(
        id=eid,
        type="bellwether.test.thing_happened.v1",
        source="bellwether/test",
        topic=topic,
        data=orjson.dumps(data),
        subject="acct",
    )


async def test_dead_letter_fix_replay_applied_once(counter_pool, kafka_bootstrap, run_id, monkeypatch) -> None:
    topic = f"test.replay.{run_id}"
    flag = f"flag-{run_id}"
    await ensure_topics(kafka_bootstrap, (TopicSpec(topic, 2), TopicSpec(dlq(topic), 1)))
    monkeypatch.setattr(dlq_ops, "dlq_topics", lambda: [dlq(topic)])
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    producer = create_producer(kafka_bootstrap, client_id="loop")
    await producer.start()
    name = f"replay-{run_id}"
    loop = ConsumerLoop(
        name=name,
        topics=[topic],
        bootstrap_servers=kafka_bootstrap,
        pool=counter_pool,
        handler=make_handler(None),
        producer=producer,
        max_attempts=1,
        retry_backoff_s=0.01,
    )
    runner = CliRunner()
    try:
        await loop.start()
        await publish(
            producer, [env(topic, f"{run_id}-needs", requires_flag=flag), env(topic, f"{run_id}-s1")], timeout_s=30
        )
        letters = await eventually(lambda: _letters(kafka_bootstrap, topic, 1), what="dead-lettered")
        assert letters[0].event_id == f"{run_id}-needs" and letters[0].error_type == "MissingFlag"
        listed = await asyncio.to_thread(runner.invoke, dlq_cli, ["list", "--consumer", name])
        assert listed.exit_code == 0 and "MissingFlag" in listed.output, listed.output
        dry = await asyncio.to_thread(runner.invoke, dlq_cli, ["replay", "--consumer", name, "--dry-run"])
        assert "1 dead letter(s) would be replayed" in dry.output, dry.output
        await counter_pool.execute("INSERT INTO flags VALUES ($1)", flag)  # the operator fixes the cause
        done = await asyncio.to_thread(
            runner.invoke, dlq_cli, ["replay", "--consumer", name, "--error-type", "MissingFlag"]
        )
        assert "replayed 1 dead letter(s)" in done.output, done.output
        await eventually(lambda: _seen(counter_pool, f"{run_id}-needs"), what="replayed record applied")
        # replay again, then a sentinel on the same key (same partition, behind it): once consumed,
        # the second replay has been consumed too
        again = await asyncio.to_thread(runner.invoke, dlq_cli, ["replay", "--consumer", name])
        assert again.exit_code == 0, again.output
        await publish(producer, [env(topic, f"{run_id}-sentinel")], timeout_s=30)
        await eventually(lambda: _seen(counter_pool, f"{run_id}-sentinel"), what="sentinel applied")
    finally:
        await loop.stop()
        await producer.stop()
    counts = await counter_pool.fetch("SELECT event_id, n FROM seen WHERE event_id LIKE $1 || '%'", run_id)
    assert {r["event_id"]: r["n"] for r in counts} == {f"{run_id}-needs": 1, f"{run_id}-s1": 1, f"{run_id}-sentinel": 1}


async def _letters(bootstrap: str, topic: str, n: int) -> list[dlq_ops.DeadLetter] | None:
    got = await dlq_ops.read_all(bootstrap, [dlq(topic)])
    return got if len(got) >= n else None


async def _seen(pool, event_id: str) -> bool:  # type: ignore[no-untyped-def]
    return bool(await pool.fetchval("SELECT n FROM seen WHERE event_id = $1", event_id))
