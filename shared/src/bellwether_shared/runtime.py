"""The pieces every service process builds from its settings, built one way everywhere:
logging and telemetry, the database pool, the Kafka producer, the outbox relay."""

from __future__ import annotations

import asyncpg
from aiokafka import AIOKafkaProducer

from bellwether_shared.db import create_pool
from bellwether_shared.kafka import create_producer
from bellwether_shared.logging import configure_logging
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
