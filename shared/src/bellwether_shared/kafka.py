"""Kafka producer helpers: an idempotent producer (acks=all) and publishing that waits for the broker.

``publish`` groups records by partition and hands them to the producer as whole batches
(``create_batch`` / ``send_batch``): per-record ``send()`` costs tens of microseconds of Python
each, which alone would cap a 2-core machine at a few thousand events per second. Concurrent
callers are coalesced (see :class:`Publisher`), so a produce round trip carries many requests. Partitions are
chosen exactly as Kafka's default partitioner does for keyed records (murmur2 of the key), so an
account's events land on the same partition whichever producer wrote them. W3C trace context is
injected into every record's headers (the record's own, when it carries one from the outbox).
"""

from __future__ import annotations

import asyncio
import functools
import random
import weakref
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import murmur2
from opentelemetry import propagate, trace
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from bellwether_shared.envelope import Envelope
from bellwether_shared.kafka_conn import Kafka, client_args
from bellwether_shared.logging import get_logger

_tracer = trace.get_tracer(__name__)


class PublishTimeout(TimeoutError):
    """The broker did not acknowledge in time (Kafka down or overloaded)."""


def create_producer(
    kafka: Kafka,
    *,
    client_id: str,
    request_timeout_ms: int = 10_000,
    linger_ms: int = 5,
    max_batch_size: int = 512 * 1024,
) -> AIOKafkaProducer:
    """Idempotent producer: acks=all, retries without duplicates or reordering within a partition."""
    return AIOKafkaProducer(
        **client_args(kafka),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=linger_ms,
        max_batch_size=max_batch_size,
        request_timeout_ms=request_timeout_ms,
        max_request_size=2 * 1024 * 1024,
    )


async def start_when_reachable(producer: AIOKafkaProducer, *, max_delay_s: float = 10.0) -> None:
    """Start the producer, retrying with backoff while Kafka is unreachable (a service starts and
    reports not-ready rather than crash-looping when the broker is down)."""

    def report(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        get_logger(__name__).warning("Kafka not reachable yet; retrying", error=str(exc), attempt=state.attempt_number)

    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type((KafkaError, OSError)),
        wait=wait_exponential_jitter(multiplier=0.5, max=max_delay_s, jitter=0.5),
        before_sleep=report,
    ):
        with attempt:
            await producer.start()


def partition_for(key: bytes | None, partitions: list[int]) -> int:
    """Kafka's default partitioner for keyed records: murmur2(key) mod partition count."""
    if key is None:
        return random.choice(partitions)
    return partitions[_murmur2(key) % len(partitions)]


@functools.lru_cache(maxsize=65_536)
def _murmur2(key: bytes) -> int:
    """Pure-Python murmur2 is slow; keys (account ids) repeat, so remember them."""
    return int(murmur2(key)) & 0x7FFFFFFF


def trace_headers() -> list[tuple[str, bytes]]:
    """The current span's W3C trace context, as record headers."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return [(k, v.encode()) for k, v in carrier.items()]


class _Waiter:
    """One publish() call: done when every one of its records is acknowledged."""

    __slots__ = ("future", "remaining")

    def __init__(self, n: int) -> None:
        self.future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.remaining = n

    def acked(self, n: int) -> None:
        self.remaining -= n
        if self.remaining <= 0 and not self.future.done():
            self.future.set_result(None)

    def failed(self, exc: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(exc)


_Record = tuple[bytes | None, bytes, list[tuple[str, bytes]], _Waiter]


class _Partition:
    __slots__ = ("in_flight", "queue")

    def __init__(self) -> None:
        self.queue: list[_Record] = []
        self.in_flight = False


class Publisher:
    """Coalesces concurrent publish() calls: at most one batch in flight per partition; whatever
    arrives meanwhile leaves together in the next one (up to the producer's batch size). Without
    this, each HTTP request would travel alone in its own produce round trip."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.partitions: dict[tuple[str, int], _Partition] = {}
        self._topic_partitions: dict[str, list[int]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def publish(self, envelopes: list[Envelope]) -> None:
        waiter = _Waiter(len(envelopes))
        current = trace_headers()
        touched: list[tuple[tuple[str, int], _Partition]] = []
        for env in envelopes:
            parts = self._topic_partitions.get(env.topic)
            if parts is None:
                parts = self._topic_partitions[env.topic] = sorted(await self.producer.partitions_for(env.topic))
            key = env.record_key
            tp = (env.topic, partition_for(key, parts))
            headers = env.headers() + ([(k, v.encode()) for k, v in env.trace.items()] if env.trace else current)
            part = self.partitions.get(tp)
            if part is None:
                part = self.partitions[tp] = _Partition()
            part.queue.append((key, env.data, headers, waiter))
            touched.append((tp, part))
        for tp, part in touched:
            if not part.in_flight and part.queue:
                self._flush(tp, part)
        await asyncio.shield(waiter.future)

    def _flush(self, tp: tuple[str, int], part: _Partition) -> None:
        records = [r for r in part.queue if not r[3].future.done()]  # skip calls that already gave up
        part.queue = []
        if not records:
            return
        part.in_flight = True
        task = asyncio.create_task(self._send(tp, part, records))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, tp: tuple[str, int], part: _Partition, records: list[_Record]) -> None:
        topic, partition = tp
        try:
            futures: list[asyncio.Future[object]] = []
            chunks: list[list[_Waiter]] = []
            chunk: list[_Waiter] = []
            batch = self.producer.create_batch()
            for key, value, headers, waiter in records:
                if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                    futures.append(await self.producer.send_batch(batch, topic, partition=partition))
                    chunks.append(chunk)
                    batch, chunk = self.producer.create_batch(), []
                    if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                        waiter.failed(ValueError(f"record of {len(value)} bytes exceeds the batch size"))
                        continue
                chunk.append(waiter)
            if chunk:
                futures.append(await self.producer.send_batch(batch, topic, partition=partition))
                chunks.append(chunk)
            for fut, waiters in zip(futures, chunks, strict=True):
                try:
                    await fut
                except Exception as exc:  # noqa: BLE001 - reported to each caller
                    for w in waiters:
                        w.failed(exc)
                    continue
                counts: dict[_Waiter, int] = {}
                for w in waiters:
                    counts[w] = counts.get(w, 0) + 1
                for w, n in counts.items():
                    w.acked(n)
        except Exception as exc:  # noqa: BLE001 - e.g. the producer was stopped
            for *_, waiter in records:
                waiter.failed(exc)
        finally:
            part.in_flight = False
            if part.queue:
                self._flush(tp, part)


_publishers: weakref.WeakKeyDictionary[AIOKafkaProducer, Publisher] = weakref.WeakKeyDictionary()


def publisher_for(producer: AIOKafkaProducer) -> Publisher:
    pub = _publishers.get(producer)
    if pub is None:
        pub = _publishers[producer] = Publisher(producer)
    return pub


async def publish(producer: AIOKafkaProducer, envelopes: Iterable[Envelope], *, timeout_s: float) -> None:
    """Send every envelope and wait until the broker acknowledged all of them (acks=all).

    Raises :class:`PublishTimeout` when the acknowledgements do not arrive within ``timeout_s``;
    the caller must then treat none of them as delivered (some may be: consumers de-duplicate).
    """
    items = list(envelopes)
    if not items:
        return
    with _tracer.start_as_current_span("kafka publish", kind=trace.SpanKind.PRODUCER) as span:
        span.set_attribute("messaging.system", "kafka")
        span.set_attribute("messaging.batch.message_count", len(items))
        try:
            async with asyncio.timeout(timeout_s):  # no extra task per call, unlike wait_for on 3.11
                await publisher_for(producer).publish(items)
        except TimeoutError as exc:
            raise PublishTimeout(f"Kafka did not acknowledge within {timeout_s}s") from exc
