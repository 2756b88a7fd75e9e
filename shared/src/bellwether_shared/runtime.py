"""The pieces every service process builds from its settings, built one way everywhere:
logging and telemetry, the database pool, the Kafka producer (connected in the background), serving."""

from __future__ import annotations

import asyncio
import contextlib
import gc

import asyncpg
from aiokafka import AIOKafkaProducer

from bellwether_shared.db import create_pool
from bellwether_shared.kafka import create_producer, start_when_reachable
from bellwether_shared.logging import configure_logging, get_logger
from bellwether_shared.settings import ServiceSettings
from bellwether_shared.telemetry import setup_telemetry

log = get_logger(__name__)


def configure_process(settings: ServiceSettings, *, service: str | None = None) -> None:
    configure_logging(service=service or settings.service_name, level=settings.log_level, json=settings.log_json)
    setup_telemetry(
        service=settings.service_name,
        otlp_endpoint=settings.otel_exporter_otlp_endpoint,
        kafka_record_spans=settings.otel_kafka_record_spans,
    )


def freeze_heap(settings: ServiceSettings) -> None:
    """Once started: what exists now (modules, app, pools) lives as long as the process, so keep the
    cyclic collector from re-scanning it, and run the collector less often (each request or consumed
    batch allocates thousands of short-lived objects that reference counting frees anyway)."""
    if settings.gc_freeze:
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 50, 100)


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
        settings,
        client_id=client_id or settings.kafka_client_id or settings.service_name,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        linger_ms=linger_ms,
    )


class Producer:
    """The process's one Kafka producer, connected in the background (the API serves and reports
    not-ready meanwhile). ``ready()`` waits for the connection: the outbox relay and the consumer
    loop (which writes dead letters) start with it."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def connect(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="kafka-connect")

    async def _connect(self) -> None:
        await start_when_reachable(self.producer)
        self.connected.set()
        log.info("connected to Kafka")

    async def ready(self) -> None:
        await self.connected.wait()

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.connected.is_set():
            await self.producer.stop()  # flushes what is in flight


def serve(factory: str, settings: ServiceSettings, *, graceful_shutdown_s: int = 30) -> None:
    """Run the service (uvicorn, uvloop, httptools; the service's own JSON logging) in ``HTTP_WORKERS``
    processes. ``factory`` names a function that builds the app from the environment ("pkg.mod:fn"):
    each worker process builds its own (its consumer joins the group, its loops lease their work)."""
    import uvicorn

    uvicorn.run(
        factory,
        factory=True,
        host=settings.http_host,
        port=settings.http_port,
        workers=settings.http_workers,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=graceful_shutdown_s,
    )
