"""create_app(settings): the ingest ASGI app (tracking API, signals, admin; outbox relay, retention).
Nothing is built at import time."""

from __future__ import annotations

from fastapi import FastAPI

from bellwether_shared.service import create_service
from ingest import (
    admin_api,
    api,
    deletion_api,
    deps,
    destination_api,
    http_errors,
    objective_api,
    plan_api,
    webhook_api,
    worker,
)
from ingest.settings import IngestSettings

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


def create_app(settings: IngestSettings) -> FastAPI:
    app = create_service(
        settings,
        title="Bellwether ingest",
        description=DESCRIPTION,
        routers=[
            api.router,
            destination_api.router,
            admin_api.router,
            plan_api.router,
            webhook_api.router,
            deletion_api.router,
            objective_api.router,
        ],
        runtime=lambda ctx: deps.Runtime.build(settings, ctx.pool, ctx.kafka),
        loops=worker.loops,
        linger_ms=settings.kafka_linger_ms,
        # the tracking and signal endpoints check each event themselves (a bad one is rejected, the rest kept)
        guard_bodies_except=(
            "/v1/track",
            "/v1/page",
            "/v1/screen",
            "/v1/identify",
            "/v1/group",
            "/v1/alias",
            "/v1/batch",
            "/v1/import",
            "/v1/signals",
            "/v1/destination",
            "/v1/webhooks/",
        ),
    )
    http_errors.install(app, retry_after_s=settings.unavailable_retry_after_s)
    return app
