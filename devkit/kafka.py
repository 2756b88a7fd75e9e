"""Reading what really arrived on Kafka, with a deadline (no sleeps)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from bellwether_shared.envelope import Envelope, EnvelopeError, from_record


@dataclass
class Received:
    envelope: Envelope
    partition: int
    offset: int
    headers: dict[str, str]

    @property
    def payload(self) -> dict[str, Any]:
        doc: dict[str, Any] = orjson.loads(self.envelope.data)
        return doc


class TopicTail:
    """Remembers the end of each partition at start; ``collect`` reads what came after it."""

    def __init__(self, bootstrap: str, *topics: str) -> None:
        self.bootstrap = bootstrap
        self.topics = topics
        self.consumer: AIOKafkaConsumer | None = None
        self.received: list[Received] = []

    async def __aenter__(self) -> TopicTail:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False, group_id=None)
        await self.consumer.start()
        parts = [
            TopicPartition(t, p)
            for t in self.topics
            for p in sorted(self.consumer.partitions_for_topic(t) or await self._partitions(t))
        ]
        self.consumer.assign(parts)
        await self.consumer.seek_to_end(*parts)
        for tp in parts:  # resolve positions now, before the test produces anything
            await self.consumer.position(tp)
        return self

    async def _partitions(self, topic: str) -> set[int]:
        """A topic created a moment ago may not be in the metadata yet: ask until it is."""
        assert self.consumer is not None
        deadline = asyncio.get_running_loop().time() + 15
        while True:
            await self.consumer._client.force_metadata_update()
            parts = self.consumer.partitions_for_topic(topic)
            if parts:
                return set(parts)
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"topic {topic} has no partitions in the metadata")
            await asyncio.sleep(0.1)

    def seen(self, message_id: str) -> bool:
        return any(r.payload.get("message_id") == message_id for r in self.received if r.envelope.type)

    async def __aexit__(self, *exc: object) -> None:
        if self.consumer:
            await self.consumer.stop()

    async def collect(self, until: Callable[[list[Received]], bool], *, timeout: float = 20.0) -> list[Received]:
        """Read until ``until(received)`` holds, or fail at the deadline. To prove that nothing more
        arrives (no duplicate, no stray record), wait for a sentinel written after the records under
        test on the same partition (same key): whatever was coming is in ``received`` once it is."""
        assert self.consumer is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = await self.consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for r in records:
                    hdrs = {k: v.decode() for k, v in r.headers}
                    try:
                        env = from_record(topic=r.topic, key=r.key, value=r.value, headers=r.headers)
                    except EnvelopeError:  # e.g. a dead-lettered record that never had an envelope
                        env = Envelope(
                            id="",
                            type="",
                            source="",
                            topic=r.topic,
                            data=r.value or b"null",
                            key=r.key.decode() if r.key else None,
                        )
                    self.received.append(Received(env, r.partition, r.offset, hdrs))
            if until(self.received):
                return self.received
            if loop.time() > deadline:
                raise AssertionError(f"condition not met within {timeout}s; got {len(self.received)} records")


async def committed(bootstrap: str, group: str, topic: str, partition: int) -> int:
    """The offset ``group`` has committed on one partition (-1: none yet); reading it joins no group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        offset = await consumer.committed(TopicPartition(topic, partition))
        return -1 if offset is None else int(offset)
    finally:
        await consumer.stop()
