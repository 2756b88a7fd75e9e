"""create_app(settings): the renewals service (API, consumer of signals and health, sweep, outbox relay)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from bellwether_shared import topics
from bellwether_shared.http import install_probes, new_app, pool_check
from bellwether_shared.logging import get_logger
from bellwether_shared.runtime import KafkaSide, configure_process, open_pool
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
        app.state.runtime = api.Runtime(settings, pool)
        sweeper = Sweeper(pool, settings)
        if settings.sweep:
            sweeper.start()
        kafka = KafkaSide(
            settings,
            pool,
            group=settings.consumer_group,
            topics=[topics.SIGNALS, topics.HEALTH],
            handler=make_handler(settings),
            max_records=settings.consumer_max_records,
            relay=True,
        )
        kafka.start()
        state.update(sweeper=sweeper, kafka=kafka)
        try:
            yield
        finally:
            await kafka.stop_consuming()
            await sweeper.stop()
            await kafka.stop_publishing()
            await pool.close()

    app = new_app(title="Bellwether renewals", description=DESCRIPTION, lifespan=lifespan)
    app.state.api_keys = {k.token_sha256: (k.actor, k.role) for k in settings.api_keys}
    install_probes(app, {"database": pool_check(app), "consumer": lambda: _healthy(state)})
    for router in (api.router, handoff_api.router, insights_api.router, config_api.router):
        app.include_router(router)
    instrument_app(app)
    app.state.internals = state
    return app


def _healthy(state: dict[str, object]) -> bool:
    return isinstance(k := state.get("kafka"), KafkaSide) and k.healthy
