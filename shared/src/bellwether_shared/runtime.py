"""The pieces every service process builds from its settings, built one way everywhere:
logging and telemetry, the database pool, the Kafka producer, the outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from bellwether_shared.consumer import ConsumerLoop, Handler
from bellwether_shared.db import create_pool
from bellwether_shared.kafka import create_producer, start_when_reachable
from bellwether_shared.logging import configure_logging, get_logger
from bellwether_shared.outbox import OutboxRelay
from bellwether_shared.settings import ServiceSettings
from bellwether_shared.telemetry import setup_telemetry


def configure_process(settings: ServiceSettings, *, service: str | None = None) -> None:
    configure_logging(service=service or settings.service_name, level=settings.log_level, json=settings.log_json)
    setup_telemetry(
        service=settings.service_name,
        otlp_endpoint=settings.otel_exporter_otlp_endpoint,
        kafka_record_spans=settings.otel_kafka_record_spans,
    )


async def open_pool(settings: ServiceSettings, *, name: str | None = None, max_size: int | None = None) -> asyncpg.Pool:
    return await create_pool(
        settings.database_url,
        schema=settings.db_schema,
        min_size=min(settings.db_pool_min, max_size or settings.db_pool_max),
        max_size=max_size or settings.db_pool_max,
        application_name=name or settings.service_name,
    )


def new_producer(settings: ServiceSettings, *, client_id: str | None = None, linger_ms: int = 5) -> AIOKafkaProducer:
    return create_producer(
        settings.kafka_bootstrap_servers,
        client_id=client_id or settings.kafka_client_id or settings.service_name,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        linger_ms=linger_ms,
    )


def start_relay(pool: asyncpg.Pool, producer: AIOKafkaProducer, settings: ServiceSettings) -> OutboxRelay:
    relay = OutboxRelay(
        pool, producer, batch_size=settings.outbox_batch_size, poll_interval_s=settings.outbox_poll_interval_s
    )
    relay.start()
    return relay


def serve(app: Any, settings: ServiceSettings) -> None:
    """Run one service process (uvicorn, uvloop, httptools; the service's own JSON logging)."""
    import uvicorn

    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=30,
    )


class KafkaSide:
    """The Kafka half of a consuming service, built one way everywhere: connects in the background (the
    API serves and reports not-ready meanwhile), then starts the outbox relay (when the service
    publishes) and the consumer loop. ``stop_consuming`` finishes and commits the batch in flight;
    ``stop_publishing`` drains the relay and the producer."""

    def __init__(
        self,
        settings: ServiceSettings,
        pool: asyncpg.Pool,
        *,
        group: str,
        topics: Sequence[str],
        handler: Handler,
        max_records: int,
        relay: bool,
    ) -> None:
        self.settings, self.pool = settings, pool
        self.producer = new_producer(settings)  # also writes the dead-letter topics
        self.group, self.topics, self.handler, self.max_records, self.with_relay = (
            group,
            list(topics),
            handler,
            max_records,
            relay,
        )
        self.consumer: ConsumerLoop | None = None
        self.relay: OutboxRelay | None = None
        self._connected = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="kafka-connect")

    async def _connect(self) -> None:
        await start_when_reachable(self.producer)
        self._connected = True
        if self.with_relay:
            self.relay = start_relay(self.pool, self.producer, self.settings)
        loop = ConsumerLoop(
            name=self.group,
            topics=self.topics,
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            pool=self.pool,
            handler=self.handler,
            producer=self.producer,
            max_records=self.max_records,
        )
        await loop.start()
        self.consumer = loop
        get_logger(__name__).info("consuming", consumer=self.group, topics=self.topics)

    @property
    def healthy(self) -> bool:
        relay_ok = self.relay is not None and self.relay.healthy if self.with_relay else True
        return self.consumer is not None and self.consumer.healthy and relay_ok

    async def stop_consuming(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.consumer is not None:
            await self.consumer.stop()  # finishes and commits the batch in flight

    async def stop_publishing(self) -> None:
        if self.relay is not None:
            await self.relay.stop()
        if self._connected:
            await self.producer.stop()
