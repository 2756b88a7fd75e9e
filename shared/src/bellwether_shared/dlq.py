"""Dead letters: a record a consumer gave up on goes to ``<topic>.dlq`` unchanged (key, value and
every original header, so its event id too), with headers saying who gave up, why and where the
record came from. ``bellwether dlq`` lists, shows and replays them (see ``tools/cli``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from bellwether_shared.envelope import Headers
from bellwether_shared.topics import dlq

ERROR_TYPE = "dlq_error_type"
ERROR = "dlq_error"
ATTEMPTS = "dlq_attempts"
CONSUMER = "dlq_consumer"
ORIGINAL_TOPIC = "dlq_original_topic"
ORIGINAL_PARTITION = "dlq_original_partition"
ORIGINAL_OFFSET = "dlq_original_offset"
FAILED_AT = "dlq_failed_at"
REPLAYED_FROM = "dlq_replayed_from"  # on a replayed record: "<dlq topic>:<partition>:<offset>"
OURS = frozenset(
    {ERROR_TYPE, ERROR, ATTEMPTS, CONSUMER, ORIGINAL_TOPIC, ORIGINAL_PARTITION, ORIGINAL_OFFSET, FAILED_AT}
)


@dataclass(frozen=True, slots=True)
class Raw:
    """A record as read from Kafka (key, value and headers untouched)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers


def raw(rec: Any) -> Raw:
    return Raw(rec.topic, rec.partition, rec.offset, rec.key, rec.value, list(rec.headers or ()))


async def dead_letter(
    producer: AIOKafkaProducer, rec: Raw, exc: BaseException, *, consumer: str, attempts: int
) -> None:
    headers = [
        *rec.headers,
        (ERROR_TYPE, type(exc).__name__.encode()),
        (ERROR, str(exc)[:1000].encode()),
        (ATTEMPTS, str(attempts).encode()),
        (CONSUMER, consumer.encode()),
        (ORIGINAL_TOPIC, rec.topic.encode()),
        (ORIGINAL_PARTITION, str(rec.partition).encode()),
        (ORIGINAL_OFFSET, str(rec.offset).encode()),
        (FAILED_AT, datetime.now(UTC).isoformat(timespec="milliseconds").encode()),
    ]
    fut = await producer.send(dlq(rec.topic), value=rec.value or b"", key=rec.key, headers=headers)
    await fut


def original_headers(headers: Headers) -> Headers:
    """A dead letter's headers without the ones dead-lettering added (what replay sends)."""
    return [(k, v) for k, v in headers if k not in OURS and k != REPLAYED_FROM]
