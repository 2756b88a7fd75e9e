"""What a consumer tells operators beyond its counters: each partition's lag (what the lag alerts and
KEDA's scaling read) and a span per sampled record (so a trace continues through the consumer)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from opentelemetry import metrics, propagate, trace

from bellwether_shared import tracing
from bellwether_shared.records import Consumed

_tracer = trace.get_tracer("bellwether_shared.consumer")
_lag = metrics.get_meter(__name__).create_gauge(
    "bellwether_consumer_lag", description="records behind the partition's high-water mark, per group and partition"
)
LAG_EVERY_S = 1.0
RECORD_SPANS = 64  # per batch: a sampled trace continues through every step it causes


class LagGauge:
    """``bellwether_consumer_lag`` of the partitions this process owns, at most once a second."""

    def __init__(self, *, consumer: str, group: str) -> None:
        self.consumer, self.group = consumer, group
        self._next = 0.0

    def _labels(self, tp: TopicPartition) -> dict[str, str]:
        return {"consumer": self.consumer, "group": self.group, "topic": tp.topic, "partition": str(tp.partition)}

    async def report(self, consumer: AIOKafkaConsumer) -> None:
        """Each assigned partition's high-water mark minus our position (the broker's view of the group
        agrees once the batch is committed)."""
        now = asyncio.get_running_loop().time()
        if now < self._next:
            return
        self._next = now + LAG_EVERY_S
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            if high is not None:
                _lag.set(max(high - await consumer.position(tp), 0), self._labels(tp))

    def forget(self, revoked: Sequence[TopicPartition]) -> None:
        """A partition that moved to another process reports 0 here (its lag is reported there; the
        alerts take the max per partition)."""
        for tp in revoked:
            _lag.set(0, self._labels(tp))


def record_spans(good: Sequence[Consumed], *, group: str) -> tuple[list[trace.Span], dict[str, tracing.Carrier]]:
    """A ``<topic> process`` span per sampled record (at most ``RECORD_SPANS`` a batch), child of the
    record's context; each becomes the cause of what happens to the record's subject meanwhile."""
    spans: list[trace.Span] = []
    causes: dict[str, tracing.Carrier] = {}
    for c in good:
        env = c.envelope
        if len(spans) >= RECORD_SPANS or not tracing.sampled(env.trace):
            continue
        span = _tracer.start_span(
            f"{env.topic} process",
            context=propagate.extract(env.trace),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.consumer.group.name": group,
                "messaging.message.id": env.id,
                "cloudevents.event_type": env.type,
            },
        )
        spans.append(span)
        if env.subject is not None:
            causes[env.subject] = tracing.carrier_of(span)
    return spans, causes
