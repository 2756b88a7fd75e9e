"""The consumer loop every service uses: at-least-once in, exactly-once effect on state.

For each bounded ``getmany`` batch (all its partitions' slices), one database transaction:

1. claim the records' event ids in the inbox (a redelivered or duplicated event is dropped here);
2. call the handler with the new records, on the same connection (state + outbox writes);
3. commit the transaction, *then* commit the batch's Kafka offsets (per partition).

A batch that fails is retried record by record; a record that keeps failing (``max_attempts``)
goes to ``<topic>.dlq`` with the error in its headers and the partition moves on. Failures of the
database itself (:func:`bellwether_shared.retry.transient`) are not the records' fault: they are
retried with backoff for as long as they last and never dead-lettered. Offsets are committed only
when every record of the batch was applied or dead-lettered: a stop request during a retry leaves
them uncommitted, and the batch is redelivered (the inbox drops what was applied).

A rebalance waits for the batch in flight (its offsets are committed first). The loop runs under a
:class:`~bellwether_shared.loops.BackgroundLoop`: an unexpected Kafka error rebuilds the Kafka
consumer after a backoff instead of ending consumption; ``stop()`` lets the batch in flight finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import CommitFailedError
from opentelemetry import metrics, propagate, trace
from tenacity import RetryCallState, RetryError

from bellwether_shared import inbox, tracing
from bellwether_shared.consumer_telemetry import LagGauge, record_spans
from bellwether_shared.dlq import Raw, dead_letter, raw
from bellwether_shared.envelope import EnvelopeError
from bellwether_shared.kafka_conn import Kafka, client_args
from bellwether_shared.logging import get_logger
from bellwether_shared.loops import BackgroundLoop, Hook
from bellwether_shared.rebalance import WaitForBatch
from bellwether_shared.records import Batches, Consumed, Handler, decode, record_of
from bellwether_shared.retry import transient, until_recovered

log = get_logger(__name__)
_tracer = trace.get_tracer(__name__)
_meter = metrics.get_meter(__name__)
_records = _meter.create_counter("bellwether_consumer_records", description="records consumed, by outcome")
_batch_seconds = _meter.create_histogram("bellwether_consumer_batch_seconds", unit="s")
_retries = _meter.create_counter("bellwether_consumer_transient_retries", description="database retries")


class ConsumerLoop:
    def __init__(
        self,
        *,
        name: str,
        topics: Sequence[str],
        bootstrap_servers: Kafka,  # a bootstrap string (plaintext) or the process's KafkaConnection
        pool: asyncpg.Pool,
        handler: Handler,
        producer: AIOKafkaProducer,
        max_records: int = 500,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.2,
        poll_timeout_ms: int = 200,
        group_id: str | None = None,
        auto_offset_reset: str = "earliest",
        inbox_retention: timedelta = timedelta(days=30),
        producer_ready: Hook | None = None,
        max_down_s: float = 300.0,
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
        self._consumer_args: dict[str, Any] = {
            **client_args(bootstrap_servers),
            "group_id": group_id or name,
            "client_id": name,
            "enable_auto_commit": False,
            "auto_offset_reset": auto_offset_reset,
            "max_poll_records": max_records,
            "isolation_level": "read_committed",
        }
        self.consumer: AIOKafkaConsumer | None = None
        self.processed = 0
        self.dead_lettered = 0
        self.transient_retries = 0
        self.inbox_retention = inbox_retention
        self._next_prune = 0.0
        self._producer_ready = producer_ready
        self.lag = LagGauge(consumer=name, group=self._consumer_args["group_id"])
        for outcome in ("processed", "duplicate", "dead_lettered"):  # zeros from the start, for rate()
            _records.add(0, {"consumer": name, "outcome": outcome})
        self.loop = BackgroundLoop(
            f"consumer-{name}",
            self._step,
            interval_s=0,
            setup=self._open,
            teardown=self._close,
            initial_backoff_s=0.5,
            max_down_s=max_down_s,
        )

    async def start(self) -> None:
        self.loop.start()

    async def stop(self) -> None:
        """Finish the batch in flight, commit it, leave the group."""
        await self.loop.stop()

    @property
    def healthy(self) -> bool:
        return self.loop.healthy

    @property
    def alive(self) -> bool:
        return self.loop.alive

    async def _open(self) -> None:
        if self._producer_ready is not None:
            await self._producer_ready()
        consumer = AIOKafkaConsumer(**self._consumer_args)
        consumer.subscribe(self.topics, listener=WaitForBatch(self))
        await consumer.start()
        self.consumer = consumer

    async def _close(self) -> None:
        if self.consumer is not None:
            consumer, self.consumer = self.consumer, None
            await consumer.stop()

    async def _prune_inbox(self) -> None:
        """Forget ids older than any redelivery could be (the de-duplication window), hourly."""
        now = asyncio.get_running_loop().time()
        if now < self._next_prune:
            return
        self._next_prune = now + 3600
        try:
            async with self.pool.acquire() as conn:
                removed = await inbox.prune(conn, consumer=self.name, older_than=self.inbox_retention)
            if removed:
                log.info("inbox pruned", consumer=self.name, removed=removed)
        except Exception as exc:
            if not transient(exc):
                raise
            log.warning("inbox prune failed; next hour again", consumer=self.name, error=str(exc))

    async def _step(self) -> bool:
        await self._prune_inbox()
        assert self.consumer is not None
        batches = await self.consumer.getmany(timeout_ms=self.poll_timeout_ms, max_records=self.max_records)
        if batches:
            async with self.batch_lock:
                await self._process(batches)
        if self.consumer is not None:
            await self.lag.report(self.consumer)
        return True  # getmany itself waits for records

    async def _process(self, batches: Batches) -> None:
        """The whole fetched batch (every partition's slice, each in its order) in one transaction:
        one commit, and one round of statements, per batch rather than per partition."""
        good: list[Consumed] = []
        for part in batches.values():
            for rec in part:
                try:
                    good.append(decode(rec))
                except (EnvelopeError, ValueError) as exc:  # orjson.JSONDecodeError is a ValueError
                    await self._dead_letter(raw(rec), exc, attempts=1)
        links = [
            trace.Link(trace.get_current_span(propagate.extract(c.envelope.trace)).get_span_context())
            for c in good[:32]
            if c.envelope.trace
        ]
        start = asyncio.get_running_loop().time()
        names = ", ".join(sorted({tp.topic for tp in batches}))
        spans, causes = record_spans(good, group=self.name)
        try:
            with (
                _tracer.start_as_current_span(f"{names} process", kind=trace.SpanKind.CONSUMER, links=links) as span,
                tracing.caused_by(causes),
            ):
                span.set_attribute("messaging.batch.message_count", len(good))
                done = await self._apply(good, batches)
        finally:
            for s in spans:
                s.end()
        _batch_seconds.record(asyncio.get_running_loop().time() - start, {"consumer": self.name})
        if not done:
            log.info("stopping with a batch unfinished; its offsets stay uncommitted", consumer=self.name)
            return
        await self._commit({tp: part[-1].offset + 1 for tp, part in batches.items() if part})

    async def _apply(self, batch: Sequence[Consumed], batches: Batches) -> bool:
        """Apply (or dead-letter) every record. False: a stop came first; commit nothing."""
        try:
            await self._transact(batch)
            return True
        except Exception as exc:  # noqa: BLE001 - transient: wait it out; otherwise isolate the poison
            if transient(exc):
                return await self._retry_transient(batch, batches)
            log.warning("batch failed; retrying record by record", consumer=self.name, error=repr(exc))
            return await self._one_by_one(batch, batches)

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

    def _on_retry(self, state: RetryCallState) -> None:
        self.transient_retries += 1
        _retries.add(1, {"consumer": self.name})
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "database unavailable; retrying batch",
            consumer=self.name,
            error=f"{type(exc).__name__}: {exc}"[:300],
            attempt=state.attempt_number,
            delay_s=round(state.next_action.sleep, 3) if state.next_action else None,
        )

    async def _retry_transient(self, batch: Sequence[Consumed], batches: Batches) -> bool:
        """Retry while the database is unwell. True: applied; False: stopping, nothing to commit."""
        try:
            retrying = until_recovered(self.loop.stopping, initial_s=self.retry_backoff_s, on_retry=self._on_retry)
            async for attempt in retrying:
                with attempt:
                    await self._transact(batch)
            return True
        except RetryError:
            return False
        except Exception:  # noqa: BLE001 - the database is back and the batch still fails: a poison record
            return await self._one_by_one(batch, batches)

    async def _one_by_one(self, batch: Sequence[Consumed], batches: Batches) -> bool:
        for c in batch:
            for attempt in range(1, self.max_attempts + 1):
                try:
                    await self._transact([c])
                    break
                except Exception as exc:  # noqa: BLE001
                    if transient(exc):
                        if not await self._retry_transient([c], batches):
                            return False
                        break
                    if attempt == self.max_attempts:
                        await self._dead_letter(record_of(batches, c), exc, attempts=attempt)
                    else:
                        await self.loop.wait(self.retry_backoff_s * attempt)
                        if self.loop.stopping.is_set():
                            return False
        return True

    async def _dead_letter(self, rec: Raw, exc: BaseException, *, attempts: int) -> None:
        await dead_letter(self.producer, rec, exc, consumer=self.name, attempts=attempts)
        self.dead_lettered += 1
        _records.add(1, {"consumer": self.name, "outcome": "dead_lettered"})
        log.error(
            "record sent to dead-letter topic",
            consumer=self.name,
            topic=rec.topic,
            partition=rec.partition,
            offset=rec.offset,
            error=str(exc)[:200],
            attempts=attempts,
        )

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        assert self.consumer is not None
        try:
            await self.consumer.commit(offsets)
        except CommitFailedError as exc:
            # the partition moved during a rebalance: the new owner re-reads; the inbox drops repeats
            log.warning("offset commit failed after rebalance", consumer=self.name, error=str(exc))
