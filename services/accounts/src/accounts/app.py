"""create_app(settings): the account view (API, consumer of every topic but usage, retention)."""

from __future__ import annotations

from fastapi import FastAPI

from accounts import api, deps, reports_api, worker
from accounts.handlers import make_handler
from accounts.settings import AccountsSettings
from bellwether_shared import topics
from bellwether_shared.service import Consumes, create_service

DESCRIPTION = """
The whole account in one call, and everything that happened to it. A projection of `signals.v1`,
`health.v1`, `renewals.v1` and `notifications.v1` (never a call to another service): owners, health
with its reasons and trend, champions on the quadrant, goals with their progress, the problem bought
for, tickets, requests, NPS with comments, contracts, the renewal with its risk, recent alerts; the
timeline newest first, by kind; the portfolio by owner. All routes need a viewer key.
"""


def create_app(settings: AccountsSettings) -> FastAPI:
    return create_service(
        settings,
        title="Bellwether accounts",
        description=DESCRIPTION,
        routers=[api.router, reports_api.router],
        runtime=lambda ctx: deps.Runtime.build(settings, ctx.pool),
        consumes=lambda ctx: Consumes(
            settings.consumer_group, topics.CONSUMES["accounts"], make_handler(), settings.consumer_max_records
        ),
        publishes=False,  # a read model: it announces nothing
        loops=worker.loops,
    )
