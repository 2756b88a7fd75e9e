"""create_app(settings): the health service (API, consumer, re-score workers, outbox relay)."""

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
from health import api, config_api
from health.consumer import make_handler
from health.settings import HealthSettings
from health.worker import Recomputer

log = get_logger(__name__)

DESCRIPTION = """
Real-time, explainable account health. Scores are weighted scorecards of measures (active users,
usage trend, feature breadth, milestones, onboarding, NPS, support load, champion, goals, exposure,
discount); a measure with no data is left out and the rest re-weighted. Every score keeps each
measure's raw value, sub-score and contribution, and the reasons it moved. Changes go out on
`health.v1`. All routes need `Authorization: Bearer <API token>`.
"""


def create_app(settings: HealthSettings) -> FastAPI:
    configure_process(settings)
    state: dict[str, object] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await open_pool(settings)
        producer = new_producer(settings)
        app.state.runtime = api.Runtime(settings, pool)
        recomputer = Recomputer(pool, settings)
        recomputer.start()
        state["recomputer"] = recomputer

        async def connect() -> None:
            await start_when_reachable(producer)
            state["relay"] = start_relay(pool, producer, settings)
            loop = ConsumerLoop(
                name=settings.consumer_group,
                topics=[topics.USAGE, topics.SIGNALS],
                bootstrap_servers=settings.kafka_bootstrap_servers,
                pool=pool,
                handler=make_handler(settings.coalesce_ms),
                producer=producer,
                max_records=settings.consumer_max_records,
            )
            await loop.start()
            state["consumer"] = loop
            log.info("health consuming", topics=loop.topics)

        connecting = asyncio.create_task(connect(), name="kafka-connect")
        try:
            yield
        finally:
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
            if isinstance(c := state.get("consumer"), ConsumerLoop):
                await c.stop()  # finishes and commits the batch in flight
            await recomputer.stop()
            if isinstance(r := state.get("relay"), OutboxRelay):
                await r.stop()
                await producer.stop()
            await pool.close()

    app = new_app(title="Bellwether health", description=DESCRIPTION, lifespan=lifespan)

    def consumer_ok() -> bool:
        c, r = state.get("consumer"), state.get("relay")
        return isinstance(c, ConsumerLoop) and c.healthy and isinstance(r, OutboxRelay) and r.healthy

    install_probes(app, {"database": pool_check(app), "consumer": consumer_ok})
    app.include_router(api.router)
    app.include_router(config_api.router)
    instrument_app(app)
    app.state.internals = state
    return app
