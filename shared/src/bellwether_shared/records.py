"""What the consumer loop hands a handler: ``Consumed`` records (envelope, position, decoded JSON
body), and the raw batch they came from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from bellwether_shared.dlq import Raw, raw
from bellwether_shared.envelope import Envelope, from_record


@dataclass(frozen=True, slots=True)
class Consumed:
    envelope: Envelope
    partition: int
    offset: int
    payload: Any = None  # the decoded JSON body (every event on our topics is JSON)


Handler = Callable[[asyncpg.Connection, Sequence[Consumed]], Awaitable[None]]
Batches = dict[TopicPartition, list[ConsumerRecord]]


def decode(rec: ConsumerRecord) -> Consumed:
    """Envelope and JSON body of a record; ``EnvelopeError`` or ``ValueError`` when it has neither."""
    env = from_record(topic=rec.topic, key=rec.key, value=rec.value, headers=rec.headers)
    return Consumed(env, rec.partition, rec.offset, orjson.loads(env.data))


def record_of(batches: Batches, c: Consumed) -> Raw:
    """The record ``c`` was decoded from, untouched (looked up only when dead-lettering)."""
    for rec in batches[TopicPartition(c.envelope.topic, c.partition)]:
        if rec.offset == c.offset:
            return raw(rec)
    raise LookupError(f"{c.envelope.topic}:{c.partition}:{c.offset} is not in the batch")
