"""The librdkafka publisher against real Kafka: what it writes reads back as the same envelopes, on the
partition Kafka's default partitioner (and our aiokafka path) picks for the key; a broker that does not
answer is a PublishTimeout, never a hang."""

from __future__ import annotations

import asyncio
import secrets

import orjson
import pytest

from bellwether_shared.envelope import Envelope
from bellwether_shared.kafka import PublishTimeout, partition_for
from bellwether_shared.kafka_rd import RdPublisher
from bellwether_shared.topics import TopicSpec, ensure_topics
from devkit.kafka import TopicTail
from tests.support.wait import eventually


def _envelopes(topic: str, run: str, n: int) -> list[Envelope]:
    return [
        Envelope(
            id=f"{run}-{i}",
            type="bellwether.test.thing_happened.v1",
            source="bellwether/test",
            topic=topic,
            data=orjson.dumps({"i": i, "run": run}),
            subject=f"acct-{i % 7}",
            trace={"traceparent": f"00-{'ab' * 16}-{'cd' * 8}-01"} if i == 0 else {},
        )
        for i in range(n)
    ]


async def _connected(pub: RdPublisher) -> None:
    async def probe() -> bool:  # the poller sets it once the broker answered
        return pub.connected.is_set()

    await eventually(probe, timeout=60, what="the librdkafka publisher connected")


async def test_records_read_back_as_sent_on_the_keys_partition(kafka_bootstrap: str) -> None:
    run = secrets.token_hex(4)
    topic = f"test.rd.{run}"
    await ensure_topics(kafka_bootstrap, (TopicSpec(topic, 4),))
    sent = _envelopes(topic, run, 50)
    pub = RdPublisher(kafka_bootstrap, client_id="test-rd")
    try:
        await _connected(pub)
        async with TopicTail(kafka_bootstrap, topic) as tail:
            await asyncio.gather(pub.publish(sent[:25], timeout_s=30), pub.publish(sent[25:], timeout_s=30))
            got = await tail.collect(lambda rs: len(rs) >= len(sent))
    finally:
        pub.close()
    by_id = {r.envelope.id: r for r in got}
    assert sorted(by_id) == sorted(e.id for e in sent) and len(got) == len(sent)
    for e in sent:
        r = by_id[e.id]
        assert (r.envelope.type, r.envelope.source, r.envelope.subject) == (e.type, e.source, e.subject)
        assert orjson.loads(r.envelope.data) == orjson.loads(e.data)
        assert r.partition == partition_for(e.record_key, [0, 1, 2, 3])  # murmur2, as Kafka's Java client
    assert by_id[f"{run}-0"].headers["traceparent"] == sent[0].trace["traceparent"]


async def test_a_broker_that_does_not_answer_is_a_timeout() -> None:
    pub = RdPublisher("127.0.0.1:9", client_id="test-rd-down")  # nothing listens on the discard port
    try:
        with pytest.raises(PublishTimeout):
            await pub.publish(_envelopes("test.rd.nowhere", "x", 3), timeout_s=0.5)
        assert not pub.connected.is_set()
    finally:
        pub.producer.purge()
        pub.close(timeout_s=1)
