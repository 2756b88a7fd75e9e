"""create_app(settings): the ingest ASGI app. Nothing is built at import time."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator

from fastapi import FastAPI

from bellwether_shared.http import install_probes, new_app, pool_check
from bellwether_shared.kafka import start_when_reachable
from bellwether_shared.logging import get_logger
from bellwether_shared.runtime import configure_process, new_producer, open_pool, start_relay
from bellwether_shared.telemetry import instrument_app
from ingest import admin_api, api
from ingest.auth import SourceAuth
from ingest.ratelimit import RateLimiter
from ingest.service import IdentityCache, Runtime
from ingest.settings import IngestSettings

log = get_logger(__name__)

DESCRIPTION = """
Ingest receives product usage and customer signals and publishes them to Kafka.

* **Tracking API**, wire-compatible with the de-facto standard (track, identify, group, page, screen,
  alias, batch, import): point an existing client library's host at this service.
  Authenticate with the source's write key as HTTP Basic username (empty password), as a Bearer token,
  or as `writeKey` in the body. Bodies may be gzip-compressed.
* **CS signals**: typed account, NPS, ticket, contact, onboarding, goal, feature-request and deal signals.
* **Admin** (Bearer admin token): sources and write keys, rejected events.

A 200 means every accepted event was acknowledged by Kafka (acks=all). A 503 means nothing of the
request was accepted: retry after `Retry-After`; messageIds make the retry safe.
"""


async def _connect_producer(rt: Runtime) -> None:
    """Start the producer, retrying while Kafka is unreachable; the app answers 503 meanwhile."""
    await start_when_reachable(rt.producer)
    rt.kafka_ready = True
    rt.relay = start_relay(rt.pool, rt.producer, rt.settings)
    log.info("connected to Kafka", bootstrap=rt.settings.kafka_bootstrap_servers)


def create_app(settings: IngestSettings) -> FastAPI:
    configure_process(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await open_pool(settings)
        producer = new_producer(settings, linger_ms=settings.kafka_linger_ms)
        rt = Runtime(
            settings=settings,
            pool=pool,
            producer=producer,
            identities=IdentityCache(ttl_s=settings.identity_cache_ttl_s, size=settings.identity_cache_size),
            auth=SourceAuth(pool, ttl_s=settings.auth_cache_ttl_s),
            limiter=RateLimiter(),
        )
        app.state.runtime = rt
        connecting = asyncio.create_task(_connect_producer(rt), name="kafka-connect")
        if settings.gc_freeze:
            # Everything built so far lives as long as the process: keep the collector from
            # re-scanning it, and let it run less often (each request allocates thousands of
            # short-lived objects that reference counting frees anyway).
            gc.collect()
            gc.freeze()
            gc.set_threshold(20_000, 50, 100)
        log.info("ingest started", port=settings.http_port)
        try:
            yield
        finally:
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
            if rt.relay:
                await rt.relay.stop()
            if rt.kafka_ready:
                await producer.stop()  # flushes what is in flight
            await pool.close()
            log.info("ingest stopped")

    app = new_app(title="Bellwether ingest", description=DESCRIPTION, lifespan=lifespan)

    def kafka_ok() -> bool:
        rt = getattr(app.state, "runtime", None)
        return bool(rt and rt.kafka_ready and (rt.relay is None or rt.relay.healthy))

    install_probes(app, {"database": pool_check(app), "kafka": kafka_ok})
    app.include_router(api.router)
    app.include_router(admin_api.router)
    instrument_app(app)
    return app
