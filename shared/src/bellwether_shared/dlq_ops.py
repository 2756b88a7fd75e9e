"""Operating dead letters: read every ``*.dlq`` topic, select by consumer, original topic, error
type and time, and replay a selection to the original topic with the original key, headers and so
event id (the consumer's inbox makes a replay of something already applied a no-op)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bellwether_shared import dlq
from bellwether_shared.envelope import Headers
from bellwether_shared.kafka import create_producer
from bellwether_shared.kafka_conn import Kafka, client_args
from bellwether_shared.topics import TOPICS


@dataclass(frozen=True)
class DeadLetter:
    dlq_topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Headers

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v.decode(errors="replace")
        return None

    @property
    def ref(self) -> str:
        return f"{self.dlq_topic}:{self.partition}:{self.offset}"

    @property
    def consumer(self) -> str | None:
        return self.header(dlq.CONSUMER)

    @property
    def original_topic(self) -> str:
        return self.header(dlq.ORIGINAL_TOPIC) or self.dlq_topic.removesuffix(".dlq")

    @property
    def error_type(self) -> str | None:
        return self.header(dlq.ERROR_TYPE)

    @property
    def event_id(self) -> str | None:
        return self.header("ce_id")

    @property
    def failed_at(self) -> datetime | None:
        at = self.header(dlq.FAILED_AT)
        return datetime.fromisoformat(at) if at else None


def dlq_topics() -> list[str]:
    return [t.name for t in TOPICS if t.name.endswith(".dlq")]


async def read_all(kafka: Kafka, topics: list[str] | None = None) -> list[DeadLetter]:
    """Every dead letter now on the given DLQ topics (default: all), oldest first per partition."""
    parts = await _partitions(kafka, topics or dlq_topics())
    if not parts:
        return []
    consumer = AIOKafkaConsumer(**client_args(kafka), enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        out: list[DeadLetter] = []
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            for tp, recs in (await consumer.getmany(timeout_ms=500, max_records=1000)).items():
                out.extend(
                    DeadLetter(tp.topic, r.partition, r.offset, r.key, r.value or b"", list(r.headers or ()))
                    for r in recs
                    if r.offset < ends[tp]
                )
        return out
    finally:
        await _stop(consumer)


async def _partitions(kafka: Kafka, topics: list[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(**client_args(kafka))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in topics if t in existing]
        described = await admin.describe_topics(wanted) if wanted else []
    finally:
        await admin.close()
    return [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]


async def _stop(consumer: AIOKafkaConsumer) -> None:
    """aiokafka's group-less consumer can leak the cancellation of its own internal task from stop()
    when stopped right after seeking; that is not a cancellation of ours."""
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise


def select(
    letters: list[DeadLetter],
    *,
    consumer: str | None = None,
    topic: str | None = None,
    error_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    refs: list[str] | None = None,
) -> list[DeadLetter]:
    def keep(d: DeadLetter) -> bool:
        at = d.failed_at
        return (
            (consumer is None or d.consumer == consumer)
            and (topic is None or d.original_topic == topic)
            and (error_type is None or d.error_type == error_type)
            and (since is None or (at is not None and at >= since))
            and (until is None or (at is not None and at < until))
            and (not refs or d.ref in refs)
        )

    return [d for d in letters if keep(d)]


async def replay(kafka: Kafka, letters: list[DeadLetter]) -> int:
    """Send each to its original topic (original key and headers, acks=all); returns how many."""
    if not letters:
        return 0
    producer = create_producer(kafka, client_id="bellwether-dlq-replay")
    await producer.start()
    try:
        for d in letters:
            headers = [*dlq.original_headers(d.headers), (dlq.REPLAYED_FROM, d.ref.encode())]
            await producer.send_and_wait(d.original_topic, value=d.value, key=d.key, headers=headers)
    finally:
        await producer.stop()
    return len(letters)
