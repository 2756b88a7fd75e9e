"""create_app(settings): the health service (API, consumer, re-score workers, decay, retention, outbox relay)."""

from __future__ import annotations

from fastapi import FastAPI

from bellwether_shared import topics
from bellwether_shared.service import Consumes, create_service
from health import api, calibration_api, config_api, deps, segments_api, support_api, worker
from health.handlers import make_handler
from health.settings import HealthSettings

DESCRIPTION = """
Real-time, explainable account health. Scores are weighted scorecards of measures (active users,
usage trend, feature breadth, milestones, onboarding, NPS, support load, champion, goals, exposure,
discount); a measure with no data is left out and the rest re-weighted. Every score keeps each
measure's raw value, sub-score and contribution, and the reasons it moved. Changes go out on
`health.v1`. All routes need `Authorization: Bearer <API token>`.
"""


def create_app(settings: HealthSettings) -> FastAPI:
    return create_service(
        settings,
        title="Bellwether health",
        description=DESCRIPTION,
        routers=[api.router, config_api.router, segments_api.router, calibration_api.router, support_api.router],
        runtime=lambda ctx: deps.Runtime.build(settings, ctx.pool),
        consumes=lambda ctx: Consumes(
            settings.consumer_group,
            topics.CONSUMES["health"],
            make_handler(settings.coalesce_ms),
            settings.consumer_max_records,
        ),
        loops=worker.loops,
    )
