"""create_app(settings): the notifications service (API, consumer, deliverer, digests)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import FastAPI

from bellwether_shared import topics
from bellwether_shared.http import install_probes, new_app, pool_check
from bellwether_shared.logging import get_logger
from bellwether_shared.runtime import KafkaSide, configure_process, open_pool
from bellwether_shared.telemetry import instrument_app
from notifications import api, destinations_api
from notifications.consumer import make_handler
from notifications.deliverer import Deliverer
from notifications.deps import Runtime
from notifications.secretbox import SecretBox
from notifications.settings import NotificationsSettings

log = get_logger(__name__)

DESCRIPTION = """
Alerts worth a person's attention, routed to the account's owner by role, with noise control
(de-duplication, per-recipient throttle, digests) and delivery like the most trusted webhook senders:
Standard Webhooks signatures, persistent retries with backoff for up to 3 days, an attempt log,
replay, and an SSRF guard on every target. Fed by `health.v1`, `signals.v1` and `renewals.v1`.
All routes need `Authorization: Bearer <API token>`.
"""


def create_app(settings: NotificationsSettings) -> FastAPI:
    configure_process(settings)
    state: dict[str, object] = {}
    box = SecretBox(settings.secrets_key.get_secret_value())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await open_pool(settings)
        app.state.runtime = Runtime(settings, pool, box)
        deliverer = Deliverer(pool, settings, box)
        if settings.workers:
            deliverer.start()
        kafka = KafkaSide(
            settings,
            pool,
            group=settings.consumer_group,
            topics=[topics.HEALTH, topics.SIGNALS, topics.RENEWALS],
            handler=make_handler(timedelta(seconds=settings.alert_max_age_s)),
            max_records=settings.consumer_max_records,
            relay=False,
        )
        kafka.start()
        state.update(deliverer=deliverer, kafka=kafka)
        try:
            yield
        finally:
            await kafka.stop_consuming()
            await kafka.stop_publishing()
            await deliverer.stop()
            await pool.close()

    app = new_app(title="Bellwether notifications", description=DESCRIPTION, lifespan=lifespan)
    install_probes(app, {"database": pool_check(app), "consumer": lambda: _healthy(state)})
    app.include_router(api.router)
    app.include_router(destinations_api.router)
    instrument_app(app)
    app.state.internals = state
    return app


def _healthy(state: dict[str, object]) -> bool:
    return isinstance(k := state.get("kafka"), KafkaSide) and k.healthy
