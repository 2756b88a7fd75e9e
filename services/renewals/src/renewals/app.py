"""create_app(settings): the renewals service (API, consumer of signals and health, sweep, outbox relay)."""

from __future__ import annotations

from fastapi import FastAPI

from bellwether_shared import topics
from bellwether_shared.service import Consumes, create_service
from renewals import api, config_api, deps, handoff_api, insights_api, requests_api, worker
from renewals.handlers import make_handler
from renewals.settings import RenewalsSettings

DESCRIPTION = """
Contracts and renewals, ownership policy, deal quality at the sales-to-CS hand-off, renewal risk,
forecast and a backtest of the health score against real renewal outcomes. Fed by `signals.v1` and
`health.v1`; announces on `renewals.v1`. Every route needs `Authorization: Bearer <API key>`; the
key's role (viewer, csm, vp_cs, admin) decides what it may do.
"""


def create_app(settings: RenewalsSettings) -> FastAPI:
    return create_service(
        settings,
        title="Bellwether renewals",
        description=DESCRIPTION,
        routers=[api.router, handoff_api.router, insights_api.router, requests_api.router, config_api.router],
        runtime=lambda ctx: deps.Runtime.build(settings, ctx.pool),
        consumes=lambda ctx: Consumes(
            settings.consumer_group,
            topics.CONSUMES["renewals"],
            make_handler(settings),
            settings.consumer_max_records,
        ),
        loops=lambda ctx: worker.loops(ctx) if settings.sweep else [],
    )
