"""The consumer loop every service uses: at-least-once in, exactly-once effect on state.

For each bounded ``getmany`` batch (all its partitions' slices), one database transaction:

1. claim the records' event ids in the inbox (a redelivered or duplicated event is dropped here);
2. call the handler with the new records, on the same connection (state + outbox writes);
3. commit the transaction, *then* commit the batch's Kafka offsets (per partition).

A batch that fails is retried record by record; a record that keeps failing (``max_attempts``)
goes to ``<topic>.dlq`` with the error in its headers and the partition moves on. Database
outages are not the records' fault: they are retried without end and never sent to the DLQ.
A rebalance waits for the batch in flight (its offsets are committed first). ``stop()`` (SIGTERM
through the app's lifespan) lets the batch in flight finish and commit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import ConsumerRecord
from opentelemetry import metrics, propagate, trace

from bellwether_shared import inbox
from bellwether_shared.envelope import Envelope, EnvelopeError, from_record
from bellwether_shared.logging import get_logger
from bellwether_shared.topics import dlq

log = get_logger(__name__)
_tracer = trace.get_tracer(__name__)
_meter = metrics.get_meter(__name__)
_records = _meter.create_counter("bellwether_consumer_records", description="records consumed, by outcome")
_batch_seconds = _meter.create_histogram("bellwether_consumer_batch_seconds", unit="s")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
)


@dataclass(frozen=True, slots=True)
class Consumed:
    envelope: Envelope
    partition: int
    offset: int
    payload: Any = None  # the decoded JSON body (every event on our topics is JSON)


Handler = Callable[[asyncpg.Connection, Sequence[Consumed]], Awaitable[None]]


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, loop: ConsumerLoop) -> None:
        self.loop = loop

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        # wait for the batch in flight: its offsets get committed before the partitions move
        async with self.loop.batch_lock:
            pass

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info(
            "partitions assigned", consumer=self.loop.name, partitions=[f"{tp.topic}:{tp.partition}" for tp in assigned]
        )


class ConsumerLoop:
    def __init__(
        self,
        *,
        name: str,
        topics: Sequence[str],
        bootstrap_servers: str,
        pool: asyncpg.Pool,
        handler: Handler,
        producer: AIOKafkaProducer,
        max_records: int = 500,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.2,
        poll_timeout_ms: int = 200,
        group_id: str | None = None,
        auto_offset_reset: str = "earliest",
        inbox_retention: timedelta = timedelta(days=14),
    ) -> None:
        self.name = name
        self.topics = list(topics)
        self.pool = pool
        self.handler = handler
        self.producer = producer
        self.max_records = max_records
        self.max_attempts = max_attempts
        self.retry_backoff_s = retry_backoff_s
        self.poll_timeout_ms = poll_timeout_ms
        self.batch_lock = asyncio.Lock()
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=group_id or name,
            client_id=name,
            enable_auto_commit=False,
            auto_offset_reset=auto_offset_reset,
            max_poll_records=max_records,
            isolation_level="read_committed",
        )
        self.processed = 0
        self.dead_lettered = 0
        self.running = False
        self.inbox_retention = inbox_retention
        self._next_prune = 0.0
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.consumer.subscribe(self.topics, listener=_Rebalance(self))
        await self.consumer.start()
        self.running = True
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.name}")

    async def stop(self) -> None:
        """Finish the batch in flight, commit it, leave the group."""
        self._stopping.set()
        if self._task:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(KafkaError):
            await self.consumer.stop()
        self.running = False

    @property
    def healthy(self) -> bool:
        return self.running and self._task is not None and not self._task.done()

    async def _prune_inbox(self) -> None:
        """Forget ids older than any redelivery could be (beyond the topics' retention), hourly."""
        now = asyncio.get_running_loop().time()
        if now < self._next_prune:
            return
        self._next_prune = now + 3600
        try:
            async with self.pool.acquire() as conn:
                removed = await inbox.prune(conn, consumer=self.name, older_than=self.inbox_retention)
            if removed:
                log.info("inbox pruned", consumer=self.name, removed=removed)
        except TRANSIENT_ERRORS as exc:
            log.warning("inbox prune failed; next hour again", consumer=self.name, error=str(exc))

    async def _run(self) -> None:
        while not self._stopping.is_set():
            await self._prune_inbox()
            batches = await self.consumer.getmany(timeout_ms=self.poll_timeout_ms, max_records=self.max_records)
            if not batches:
                continue
            async with self.batch_lock:
                await self._process(batches)

    async def _process(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """The whole fetched batch (every partition's slice, each in its order) in one transaction:
        one commit, and one round of statements, per batch rather than per partition."""
        good: list[Consumed] = []
        records: list[ConsumerRecord] = []
        for part in batches.values():
            records.extend(part)
            for rec in part:
                try:
                    env = from_record(topic=rec.topic, key=rec.key, value=rec.value, headers=rec.headers)
                    payload = orjson.loads(env.data)
                except (EnvelopeError, ValueError) as exc:  # orjson.JSONDecodeError is a ValueError
                    await self._dead_letter(rec, exc, attempts=1)
                    continue
                good.append(Consumed(env, rec.partition, rec.offset, payload))
        links = [
            trace.Link(trace.get_current_span(propagate.extract(c.envelope.trace)).get_span_context())
            for c in good[:32]
            if c.envelope.trace
        ]
        start = asyncio.get_running_loop().time()
        names = ", ".join(sorted({tp.topic for tp in batches}))
        with _tracer.start_as_current_span(f"{names} process", kind=trace.SpanKind.CONSUMER, links=links) as span:
            span.set_attribute("messaging.batch.message_count", len(good))
            try:
                await self._transact(good)
            except TRANSIENT_ERRORS:
                raise_after = await self._retry_transient(good)
                if raise_after:
                    return
            except Exception as exc:  # noqa: BLE001 - isolate the poison record(s)
                log.warning("batch failed; retrying record by record", consumer=self.name, error=repr(exc))
                await self._one_by_one(good, records)
        _batch_seconds.record(asyncio.get_running_loop().time() - start, {"consumer": self.name})
        await self._commit({tp: part[-1].offset + 1 for tp, part in batches.items() if part})

    async def _transact(self, batch: Sequence[Consumed]) -> None:
        if not batch:
            return
        async with self.pool.acquire() as conn, conn.transaction():
            new_ids = await inbox.claim_many(conn, consumer=self.name, event_ids=[c.envelope.id for c in batch])
            fresh: list[Consumed] = []
            for c in batch:
                if c.envelope.id in new_ids:
                    new_ids.discard(c.envelope.id)  # a duplicate inside the batch counts once
                    fresh.append(c)
            if fresh:
                await self.handler(conn, fresh)
        self.processed += len(fresh)
        _records.add(len(fresh), {"consumer": self.name, "outcome": "processed"})
        if len(batch) > len(fresh):
            _records.add(len(batch) - len(fresh), {"consumer": self.name, "outcome": "duplicate"})

    async def _retry_transient(self, batch: Sequence[Consumed]) -> bool:
        """Retry until the database is back (or we are stopping). True: give up, do not commit."""
        delay = self.retry_backoff_s
        while not self._stopping.is_set():
            log.warning("database unavailable; retrying batch", consumer=self.name, delay_s=delay)
            with contextlib.suppress(TimeoutError):  # a stop request ends the wait at once
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            if self._stopping.is_set():
                break
            try:
                await self._transact(batch)
                return False
            except TRANSIENT_ERRORS:
                delay = min(delay * 2, 10.0)
            except Exception:  # noqa: BLE001
                await self._one_by_one(batch, [])
                return False
        # stopping: leave the offsets uncommitted so the batch is redelivered
        return True

    async def _one_by_one(self, batch: Sequence[Consumed], raw: list[ConsumerRecord]) -> None:
        by_offset = {r.offset: r for r in raw}
        for c in batch:
            for attempt in range(1, self.max_attempts + 1):
                try:
                    await self._transact([c])
                    break
                except TRANSIENT_ERRORS:
                    await self._retry_transient([c])
                    break
                except Exception as exc:  # noqa: BLE001
                    if attempt == self.max_attempts:
                        await self._dead_letter(by_offset.get(c.offset) or c, exc, attempts=attempt)
                    else:
                        await asyncio.sleep(self.retry_backoff_s * attempt)

    async def _dead_letter(self, rec: ConsumerRecord | Consumed, exc: BaseException, *, attempts: int) -> None:
        if isinstance(rec, Consumed):
            topic, partition, offset = rec.envelope.topic, rec.partition, rec.offset
            key, value, headers = rec.envelope.record_key, rec.envelope.data, rec.envelope.headers()
        else:
            topic, partition, offset = rec.topic, rec.partition, rec.offset
            key, value, headers = rec.key, rec.value, list(rec.headers or ())
        headers = [
            *headers,
            ("dlq_error_type", type(exc).__name__.encode()),
            ("dlq_error", str(exc)[:1000].encode()),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_consumer", self.name.encode()),
            ("dlq_original_topic", topic.encode()),
            ("dlq_original_partition", str(partition).encode()),
            ("dlq_original_offset", str(offset).encode()),
        ]
        fut = await self.producer.send(dlq(topic), value=value or b"", key=key, headers=headers)
        await fut
        self.dead_lettered += 1
        _records.add(1, {"consumer": self.name, "outcome": "dead_lettered"})
        log.error(
            "record sent to dead-letter topic",
            consumer=self.name,
            topic=topic,
            partition=partition,
            offset=offset,
            error=str(exc)[:200],
            attempts=attempts,
        )

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            await self.consumer.commit(offsets)
        except CommitFailedError as exc:
            # the partition moved during a rebalance: the new owner re-reads; the inbox drops repeats
            log.warning("offset commit failed after rebalance", consumer=self.name, error=str(exc))
