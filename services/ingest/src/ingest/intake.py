"""What the accepting use cases work with, and nothing of HTTP: the pool, the Kafka producer, the caches
and the limits. ``stored`` turns a dependency's failure into the domain's ``Unavailable``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from aiokafka.errors import KafkaError
from confluent_kafka import KafkaException

from bellwether_shared.envelope import Envelope
from bellwether_shared.kafka import PublishTimeout, publish
from bellwether_shared.kafka_rd import RdPublisher
from bellwether_shared.runtime import Producer
from ingest.caches import IdentityCache, Suppressions
from ingest.domain.errors import Unavailable
from ingest.settings import IngestSettings


@dataclass(frozen=True, slots=True)
class Limits:
    max_event_bytes: int
    future_skew: timedelta
    publish_timeout_s: float
    contact_reasons: frozenset[str] = frozenset()  # the taxonomy ticket.changed's contact_reason comes from


@dataclass(frozen=True, slots=True)
class Intake:
    pool: asyncpg.Pool
    kafka: Producer
    identities: IdentityCache
    suppressions: Suppressions
    limits: Limits
    rd: RdPublisher | None = None  # KAFKA_PRODUCER_CLIENT=librdkafka: the routes publish through it

    @classmethod
    def build(cls, settings: IngestSettings, pool: asyncpg.Pool, kafka: Producer) -> Intake:
        limits = Limits(
            max_event_bytes=settings.max_event_bytes,
            future_skew=timedelta(seconds=settings.future_skew_s),
            publish_timeout_s=settings.publish_timeout_s,
            contact_reasons=frozenset(settings.contact_reasons),
        )
        return cls(
            pool=pool,
            kafka=kafka,
            identities=IdentityCache(ttl_s=settings.identity_cache_ttl_s, size=settings.identity_cache_size),
            suppressions=Suppressions(pool, ttl_s=settings.auth_cache_ttl_s),
            limits=limits,
            rd=RdPublisher(
                settings,
                client_id=(settings.kafka_client_id or settings.service_name) + "-rd",
                linger_ms=settings.kafka_linger_ms,
                request_timeout_ms=settings.kafka_request_timeout_ms,
            )
            if settings.kafka_producer_client == "librdkafka"
            else None,
        )

    def ready(self) -> None:
        """Refuse before reading anything when the event stream is not connected yet."""
        if not (self.rd.connected if self.rd is not None else self.kafka.connected).is_set():
            raise Unavailable("event stream not connected yet")

    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Acknowledged by every in-sync replica (acks=all) within the timeout, or Unavailable."""
        with stored():
            if self.rd is not None:
                await self.rd.publish(envelopes, timeout_s=self.limits.publish_timeout_s)
            else:
                await publish(self.kafka.producer, envelopes, timeout_s=self.limits.publish_timeout_s)


@contextmanager
def stored() -> Iterator[None]:
    """The event stream or the database failing is Unavailable: nothing of the request was accepted."""
    try:
        yield
    except (PublishTimeout, KafkaError, KafkaException) as exc:
        raise Unavailable(f"event stream unavailable ({type(exc).__name__})") from exc
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
        raise Unavailable("database unavailable") from exc
