"""create_app(settings): the renewals service (API, consumer of signals and health, sweep, outbox relay)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from bellwether_shared import topics
from bellwether_shared.consumer import ConsumerLoop
from bellwether_shared.http import install_probes, new_app, pool_check
from bellwether_shared.kafka import start_when_reachable
from bellwether_shared.logging import get_logger
from bellwether_shared.outbox import OutboxRelay
from bellwether_shared.runtime import configure_process, new_producer, open_pool, start_relay
from bellwether_shared.telemetry import instrument_app
from renewals import api, config_api, handoff_api, insights_api
from renewals.consumer import make_handler
from renewals.settings import RenewalsSettings
from renewals.worker import Sweeper

log = get_logger(__name__)

DESCRIPTION = """
Contracts and renewals, ownership policy, deal quality at the sales-to-CS hand-off, renewal risk,
forecast and a backtest of the health score against real renewal outcomes. Fed by `signals.v1` and
`health.v1`; announces on `renewals.v1`. Every route needs `Authorization: Bearer <API key>`; the
key's role (viewer, csm, vp_cs, admin) decides what it may do.
"""


def create_app(settings: RenewalsSettings) -> FastAPI:
    configure_process(settings)
    state: dict[str, object] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await open_pool(settings)
        producer = new_producer(settings)
        app.state.runtime = api.Runtime(settings, pool)
        sweeper = Sweeper(pool, settings)
        if settings.sweep:
            sweeper.start()

        async def connect() -> None:
            await start_when_reachable(producer)
            state["relay"] = start_relay(pool, producer, settings)
            loop = ConsumerLoop(
                name=settings.consumer_group,
                topics=[topics.SIGNALS, topics.HEALTH],
                bootstrap_servers=settings.kafka_bootstrap_servers,
                pool=pool,
                handler=make_handler(settings),
                producer=producer,
                max_records=settings.consumer_max_records,
            )
            await loop.start()
            state["consumer"] = loop
            log.info("renewals consuming", topics=loop.topics)

        connecting = asyncio.create_task(connect(), name="kafka-connect")
        try:
            yield
        finally:
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
            if isinstance(c := state.get("consumer"), ConsumerLoop):
                await c.stop()
            await sweeper.stop()
            if isinstance(r := state.get("relay"), OutboxRelay):
                await r.stop()
                await producer.stop()
            await pool.close()

    app = new_app(title="Bellwether renewals", description=DESCRIPTION, lifespan=lifespan)
    app.state.api_keys = {k.token_sha256: (k.actor, k.role) for k in settings.api_keys}

    def consumer_ok() -> bool:
        c, r = state.get("consumer"), state.get("relay")
        return isinstance(c, ConsumerLoop) and c.healthy and isinstance(r, OutboxRelay) and r.healthy

    install_probes(app, {"database": pool_check(app), "consumer": consumer_ok})
    for router in (api.router, handoff_api.router, insights_api.router, config_api.router):
        app.include_router(router)
    instrument_app(app)
    app.state.internals = state
    return app
