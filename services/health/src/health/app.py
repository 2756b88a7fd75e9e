"""create_app(settings): the health service (API, consumer, re-score workers, outbox relay)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from bellwether_shared import topics
from bellwether_shared.http import install_probes, new_app, pool_check
from bellwether_shared.logging import get_logger
from bellwether_shared.runtime import KafkaSide, configure_process, open_pool
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
        app.state.runtime = api.Runtime(settings, pool)
        recomputer = Recomputer(pool, settings)
        recomputer.start()
        kafka = KafkaSide(
            settings,
            pool,
            group=settings.consumer_group,
            topics=[topics.USAGE, topics.SIGNALS],
            handler=make_handler(settings.coalesce_ms),
            max_records=settings.consumer_max_records,
            relay=True,
        )
        kafka.start()
        state.update(recomputer=recomputer, kafka=kafka)
        try:
            yield
        finally:
            await kafka.stop_consuming()
            await recomputer.stop()
            await kafka.stop_publishing()
            await pool.close()

    app = new_app(title="Bellwether health", description=DESCRIPTION, lifespan=lifespan)
    install_probes(app, {"database": pool_check(app), "consumer": lambda: _healthy(state)})
    app.include_router(api.router)
    app.include_router(config_api.router)
    instrument_app(app)
    app.state.internals = state
    return app


def _healthy(state: dict[str, object]) -> bool:
    return isinstance(k := state.get("kafka"), KafkaSide) and k.healthy
