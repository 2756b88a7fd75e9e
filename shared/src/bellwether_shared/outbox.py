"""Transactional outbox: state change and outgoing event in one transaction; a relay publishes.

``add`` is called inside the caller's transaction. ``OutboxRelay`` claims unpublished rows with
``FOR UPDATE SKIP LOCKED`` (several relays may run), keeps per-aggregate order (a row is only
published when no earlier row of its aggregate is waiting outside this relay's batch), publishes with acks=all,
then deletes the rows in the same transaction. A crash between publish and delete republishes:
delivery is at-least-once and consumers de-duplicate by event id.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry import metrics, propagate, trace

from bellwether_shared import tracing
from bellwether_shared.envelope import Envelope
from bellwether_shared.kafka import publish
from bellwether_shared.logging import get_logger
from bellwether_shared.loops import BackgroundLoop, Hook

log = get_logger(__name__)
_tracer = trace.get_tracer(__name__)
_meter = metrics.get_meter(__name__)
_published = _meter.create_counter("bellwether_outbox_published", description="outbox rows published to Kafka")
_oldest = _meter.create_gauge(
    "bellwether_outbox_oldest_age_seconds", description="age of the oldest row waiting in the outbox (0: empty)"
)

_INSERT = """
INSERT INTO outbox (event_id, event_type, source, topic, aggregate_id, subject, event_time, payload, trace)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::timestamptz[], $8::bytea[], $9::jsonb[])
"""


def _current_trace() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


async def add(conn: asyncpg.Connection, envelopes: Iterable[Envelope]) -> int:
    """Queue events in the caller's transaction. Returns how many were queued."""
    rows = list(envelopes)
    if not rows:
        return 0
    trace_ctx = _current_trace()
    await conn.execute(
        _INSERT,
        [e.id for e in rows],
        [e.type for e in rows],
        [e.source for e in rows],
        [e.topic for e in rows],
        [e.key if e.key is not None else (e.subject or e.id) for e in rows],
        [e.subject for e in rows],
        [e.time for e in rows],
        [e.data for e in rows],
        [e.trace or tracing.cause_of(e.subject) or trace_ctx for e in rows],
    )
    return len(rows)


_CLAIM = """
SELECT ctid, id, event_id, event_type, source, topic, aggregate_id, subject, event_time, payload, trace,
       extract(epoch FROM now() - created_at)::float8 AS age_s
FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""
# The published rows, by their place in the table (a TID scan: locked by this relay, they cannot
# move). By id, a plan made while the outbox looked empty (its statistics lag a burst by up to a
# minute) scanned the whole (aggregate_id, id) index for every batch: 2.6 s a batch once 200,000 rows
# of a re-score waited, a cost that grew with the backlog (auto_explain, issue 26).
_DELETE = "DELETE FROM outbox WHERE ctid = ANY($1::tid[])"
# aggregates of the batch that still have an earlier row claimed by another relay
# per aggregate of the batch: the earliest waiting row that is NOT ours (claimed by another relay).
# Concurrent claims interleave ids (A may hold 203 and 213 while B holds 208), so only our rows
# below that id may go now; the rest wait for the next round.
_FOREIGN_FIRST = """
SELECT aggregate_id, min(id) AS first_id FROM outbox
WHERE aggregate_id = ANY($1::text[]) AND NOT (id = ANY($2::bigint[]))
GROUP BY aggregate_id
"""


def _envelope(row: asyncpg.Record) -> Envelope:
    return Envelope(
        id=row["event_id"],
        type=row["event_type"],
        source=row["source"],
        topic=row["topic"],
        data=bytes(row["payload"]),
        subject=row["subject"],
        time=row["event_time"],
        key=row["aggregate_id"],
        trace=dict(row["trace"] or {}),
    )


async def relay_once(
    pool: asyncpg.Pool, producer: AIOKafkaProducer, *, batch_size: int = 500, timeout_s: float = 30.0
) -> int:
    """Publish one batch of waiting rows. Returns how many were published."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(_CLAIM, batch_size)
        _oldest.set(max(rows[0]["age_s"], 0.0) if rows else 0.0)  # claimed in id order: the first is the oldest
        if not rows:
            return 0
        aggregates = sorted({r["aggregate_id"] for r in rows})
        foreign = {
            f["aggregate_id"]: f["first_id"]
            for f in await conn.fetch(_FOREIGN_FIRST, aggregates, [r["id"] for r in rows])
        }
        ready = [r for r in rows if r["id"] < foreign.get(r["aggregate_id"], r["id"] + 1)]
        if not ready:
            return 0
        await _publish_traced(producer, [_envelope(r) for r in ready], timeout_s=timeout_s)
        await conn.execute(_DELETE, [r["ctid"] for r in ready])
    _published.add(len(ready))
    return len(ready)


async def _publish_traced(producer: AIOKafkaProducer, envelopes: list[Envelope], *, timeout_s: float) -> None:
    """Publish under a span linked to the transactions that wrote the rows; each record keeps the
    trace context stored with its row (``publish`` puts it in the record headers)."""
    links = [
        trace.Link(trace.get_current_span(propagate.extract(e.trace)).get_span_context())
        for e in envelopes[:32]
        if e.trace
    ]
    spans = _record_spans(envelopes)
    try:
        with _tracer.start_as_current_span("outbox relay", links=links):
            await publish(producer, envelopes, timeout_s=timeout_s)
    finally:
        for s in spans:
            s.end()


RECORD_SPANS = 64


def _record_spans(envelopes: list[Envelope]) -> list[trace.Span]:
    """A ``<topic> publish`` span for each row of a sampled trace (at most ``RECORD_SPANS`` a batch),
    child of the context stored with the row; the record carries the publish span on, so the trace
    reads writer → outbox → consumer."""
    spans: list[trace.Span] = []
    for e in envelopes:
        if len(spans) >= RECORD_SPANS or not tracing.sampled(e.trace):
            continue
        span = _tracer.start_span(
            f"{e.topic} publish",
            context=propagate.extract(e.trace),
            kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.system": "kafka", "messaging.message.id": e.id, "cloudevents.event_type": e.type},
        )
        spans.append(span)
        e.trace = tracing.carrier_of(span)
    return spans


class OutboxRelay:
    """Publishes the outbox until stopped, under a :class:`BackgroundLoop` (a failure backs off and
    retries: the rows stay queued)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 0.05,
        producer_ready: Hook | None = None,
    ) -> None:
        self.pool = pool
        self.producer = producer
        self.batch_size = batch_size
        self.published = 0
        _published.add(0)  # exported from the start: rate() sees a zero, not nothing
        self.loop = BackgroundLoop(
            "outbox-relay", self._step, interval_s=poll_interval_s, setup=producer_ready, max_backoff_s=5.0
        )

    @property
    def healthy(self) -> bool:
        return self.loop.healthy

    async def _step(self) -> bool:
        n = await relay_once(self.pool, self.producer, batch_size=self.batch_size)
        self.published += n
        return n >= self.batch_size

    def start(self) -> None:
        self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()
