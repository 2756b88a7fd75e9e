"""``create_service``: the one way a Bellwether service is built from its settings, routers, the
topics it consumes with their handler, and its background loops. ``run_worker`` runs the same loops
without the API (a separately scaled worker process).

What every service gets, the same way: JSON logs and telemetry, one database pool, one Kafka
producer connected in the background, the outbox relay (``publishes``), the consumer loop
(``consumes``), the service's own loops, and the probes: ``/livez`` fails only when a loop of this
process has failed without a single success for ``LOOP_MAX_DOWN_S`` (a restart is the fix);
``/readyz`` checks the database, Kafka and that every loop's last step succeeded. Shutdown goes in
order: stop consuming (the batch in flight commits), stop the service's loops, drain the relay,
flush the producer, close the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI

from bellwether_shared.bodylimit import BodyLimit
from bellwether_shared.consumer import ConsumerLoop
from bellwether_shared.db import ping
from bellwether_shared.http import install_probes, new_app
from bellwether_shared.inputguard import InputGuard
from bellwether_shared.logging import get_logger
from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.outbox import OutboxRelay
from bellwether_shared.records import Handler
from bellwether_shared.runtime import Producer, configure_process, freeze_heap, new_producer, open_pool
from bellwether_shared.settings import ServiceSettings
from bellwether_shared.telemetry import instrument_app

log = get_logger(__name__)


@dataclass(frozen=True)
class Consumes:
    """The topics a service consumes, in one consumer group, and the handler of their records."""

    group: str
    topics: Sequence[str]
    handler: Handler
    max_records: int = 500


@dataclass
class Context:
    """What a service's runtime and loop factories are built from."""

    settings: ServiceSettings
    pool: asyncpg.Pool
    kafka: Producer


@dataclass
class Parts:
    """A running service's pieces (``app.state.parts``)."""

    kafka: Producer
    relay: OutboxRelay | None = None
    consumer: ConsumerLoop | None = None
    loops: list[BackgroundLoop] = field(default_factory=list)

    def all_loops(self) -> list[BackgroundLoop]:
        own = [p.loop for p in (self.consumer, self.relay) if p is not None]
        return [*own, *self.loops]

    def readiness(self) -> dict[str, bool]:
        return {"kafka": self.kafka.connected.is_set(), **{f"loop:{lp.name}": lp.healthy for lp in self.all_loops()}}

    def dead(self) -> list[str]:
        return [lp.name for lp in self.all_loops() if not lp.alive]

    async def start(self, ctx: Context, consumes: Consumes | None, publishes: bool) -> None:
        s = ctx.settings
        self.kafka.connect()
        if publishes:
            self.relay = OutboxRelay(
                ctx.pool,
                self.kafka.producer,
                batch_size=s.outbox_batch_size,
                poll_interval_s=s.outbox_poll_interval_s,
                producer_ready=self.kafka.ready,
            )
        if consumes is not None:
            self.consumer = ConsumerLoop(
                name=consumes.group,
                topics=consumes.topics,
                bootstrap_servers=s,
                pool=ctx.pool,
                handler=consumes.handler,
                producer=self.kafka.producer,  # also writes the dead letters
                max_records=consumes.max_records,
                producer_ready=self.kafka.ready,
                inbox_retention=s.dedup_window,
            )
        for lp in self.all_loops():
            lp.max_down_s = min(lp.max_down_s, s.loop_max_down_s)
            lp.start()

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()  # finishes and commits the batch in flight
        for lp in self.loops:
            await lp.stop()
        if self.relay is not None:
            await self.relay.stop()
        await self.kafka.stop()


RuntimeFactory = Callable[[Context], Any]
LoopFactory = Callable[[Context], Sequence[BackgroundLoop]]


def create_service(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    runtime: RuntimeFactory,
    consumes: Callable[[Context], Consumes] | None = None,
    publishes: bool = True,
    loops: LoopFactory | None = None,
    linger_ms: int = 5,
    on_started: Callable[[FastAPI], None] | None = None,
    guard_bodies_except: Sequence[str] = (),
) -> FastAPI:
    """``guard_bodies_except``: path prefixes whose bodies the service checks itself, per item (a
    batch must keep its valid events when one holds an unstorable value)."""
    configure_process(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _running(
            settings, loops=loops, consumes=consumes, publishes=publishes, producer_args={"linger_ms": linger_ms}
        ) as (ctx, parts):
            app.state.pool = ctx.pool
            app.state.runtime = runtime(ctx)
            app.state.parts = parts
            if on_started is not None:
                on_started(app)
            log.info("service started", service=settings.service_name, port=settings.http_port)
            yield
        log.info("service stopped", service=settings.service_name)

    app = new_app(title=title, description=description, lifespan=lifespan)

    async def readiness() -> dict[str, bool]:
        parts = _parts(app)
        return {"database": await ping(app.state.pool), **parts.readiness()}

    install_probes(app, readiness=readiness, dead=lambda: _parts(app).dead())
    for router in routers:
        app.include_router(router)
    instrument_app(app)
    app.add_middleware(
        InputGuard, unguarded_bodies=tuple(guard_bodies_except)
    )  # NUL characters, integers beyond 64 bits: 422 naming the field
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)  # outermost: before routing and auth
    return app


def _parts(app: FastAPI) -> Parts:
    parts: Parts | None = getattr(app.state, "parts", None)
    if parts is None:
        raise LookupError("the service has not started")
    return parts


async def run_worker(
    settings: ServiceSettings, *, name: str, loops: LoopFactory, publishes: bool = True, pool_size: int = 4
) -> None:
    """A process of background loops only (no API, no consumer); stops on SIGTERM/SIGINT after the
    step in hand."""
    configure_process(settings, service=name)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with _running(
        settings,
        loops=loops,
        consumes=None,
        publishes=publishes,
        name=name,
        pool_size=pool_size,
        producer_args={"client_id": name},
    ) as (_, parts):
        log.info("worker started", worker=name, loops=[lp.name for lp in parts.all_loops()])
        await stop.wait()


@contextlib.asynccontextmanager
async def _running(
    settings: ServiceSettings,
    *,
    loops: LoopFactory | None,
    consumes: Callable[[Context], Consumes] | None,
    publishes: bool,
    producer_args: dict[str, Any],
    name: str | None = None,
    pool_size: int | None = None,
) -> AsyncIterator[tuple[Context, Parts]]:
    """Pool, producer and loops started; on exit stopped in order and the pool closed."""
    pool = await open_pool(settings, name=name, max_size=pool_size)
    try:
        ctx = Context(settings, pool, Producer(new_producer(settings, **producer_args)))
        parts = Parts(kafka=ctx.kafka, loops=list(loops(ctx) if loops else ()))
        await parts.start(ctx, consumes(ctx) if consumes else None, publishes)
        freeze_heap(settings)
        try:
            yield ctx, parts
        finally:
            await parts.stop()
    finally:
        await pool.close()
