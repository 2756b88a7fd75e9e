"""create_app(settings): the notifications service (API, consumer, deliverer, digests, retention, CRM writer)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from bellwether_shared import topics
from bellwether_shared.service import Consumes, create_service
from notifications import api, crm_api, deps, destinations_api, incidents_api, playbooks_api, tasks_api, worker
from notifications.handlers import make_handler
from notifications.settings import NotificationsSettings

DESCRIPTION = """
Alerts worth a person's attention, routed to the account's owner by role, with noise control
(de-duplication, per-recipient throttle, digests) and delivery like the most trusted webhook senders:
Standard Webhooks signatures, persistent retries with backoff for up to 3 days, an attempt log,
replay, and an SSRF guard on every target. Fed by `health.v1`, `signals.v1` and `renewals.v1`.
All routes need `Authorization: Bearer <API token>`.
"""


def create_app(settings: NotificationsSettings) -> FastAPI:
    return create_service(
        settings,
        title="Bellwether notifications",
        description=DESCRIPTION,
        routers=[
            api.router,
            incidents_api.router,
            destinations_api.router,
            tasks_api.router,
            playbooks_api.router,
            crm_api.router,
        ],
        runtime=lambda ctx: deps.Runtime.build(settings, ctx.pool),
        consumes=lambda ctx: Consumes(
            settings.consumer_group,
            topics.CONSUMES["notifications"],
            make_handler(timedelta(seconds=settings.alert_max_age_s), settings.incident_policy(), settings.tiers),
            settings.consumer_max_records,
        ),
        publishes=True,  # alert_raised on notifications.v1 (the deliveries are webhooks, chat and e-mail)
        loops=worker.loops,
    )
