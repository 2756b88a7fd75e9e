"""Kafka producer helpers: an idempotent producer (acks=all) and publishing that waits for the broker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata

from bellwether_shared.envelope import Envelope


class PublishTimeout(TimeoutError):
    """The broker did not acknowledge in time (Kafka down or overloaded)."""


def create_producer(
    bootstrap_servers: str,
    *,
    client_id: str,
    request_timeout_ms: int = 10_000,
    linger_ms: int = 5,
    max_batch_size: int = 256 * 1024,
) -> AIOKafkaProducer:
    """Idempotent producer: acks=all, retries without duplicates or reordering within a partition."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=linger_ms,
        max_batch_size=max_batch_size,
        request_timeout_ms=request_timeout_ms,
        max_request_size=2 * 1024 * 1024,
    )


async def publish(
    producer: AIOKafkaProducer, envelopes: Iterable[Envelope], *, timeout_s: float
) -> list[RecordMetadata]:
    """Send every envelope and wait until the broker acknowledged all of them (acks=all).

    Raises :class:`PublishTimeout` when the acknowledgements do not arrive within ``timeout_s``;
    the caller must then treat none of them as delivered (some may be: consumers de-duplicate).
    """

    async def _send_all() -> list[RecordMetadata]:
        futures = [
            await producer.send(env.topic, value=env.data, key=env.record_key, headers=env.headers())
            for env in envelopes
        ]
        return list(await asyncio.gather(*futures))

    try:
        return await asyncio.wait_for(_send_all(), timeout=timeout_s)
    except TimeoutError as exc:
        raise PublishTimeout(f"Kafka did not acknowledge within {timeout_s}s") from exc
