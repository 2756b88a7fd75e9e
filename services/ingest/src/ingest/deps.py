"""Request dependencies: the runtime (settings, pool, Kafka producer, caches, rate limiter), and who may reach
it: ``Public`` (senders, checked by the route), ``Reader`` and ``Configurer`` (``bellwether_shared.roles``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import Depends, Request

from bellwether_shared.roles import Acting, KeyRing, require
from bellwether_shared.runtime import Producer
from bellwether_shared.secretbox import SecretBox
from ingest.auth import SourceAuth
from ingest.domain.ratelimit import RateLimiter
from ingest.intake import Intake
from ingest.settings import IngestSettings


@dataclass
class Runtime:
    settings: IngestSettings
    pool: asyncpg.Pool
    kafka: Producer
    intake: Intake  # what the accepting use cases work with (pool, producer, caches, limits)
    auth: SourceAuth
    limiter: RateLimiter
    keys: KeyRing  # the admin API's callers (API_KEYS, and ADMIN_TOKEN as an admin key)
    box: SecretBox | None  # opens senders' signing secrets (None: SECRETS_KEY is not set)

    @classmethod
    def build(cls, settings: IngestSettings, pool: asyncpg.Pool, kafka: Producer) -> Runtime:
        return cls(
            settings=settings,
            pool=pool,
            kafka=kafka,
            intake=Intake.build(settings, pool, kafka),
            auth=SourceAuth(pool, ttl_s=settings.auth_cache_ttl_s),
            keys=KeyRing(settings.api_keys, legacy_admin_token=settings.admin_token.get_secret_value()),
            limiter=RateLimiter(),
            box=settings.secret_box(),
        )

    @property
    def producer(self) -> AIOKafkaProducer:
        return self.kafka.producer


async def public(request: Request) -> Runtime:
    """The runtime, with no role check: the tracking, signal and webhook routes authenticate the sender
    themselves (its write key, or the signature of its signing secret)."""
    rt: Runtime = request.app.state.runtime
    return rt


Public = Annotated[Runtime, Depends(public)]  # senders: the route checks the write key or signature
Reader = Annotated[Acting[Runtime], Depends(require("read"))]  # sources, rejected events, deletions
Configurer = Annotated[Acting[Runtime], Depends(require("configure"))]  # sources, grants, plans, deletions
