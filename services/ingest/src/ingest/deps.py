"""Request dependencies: the runtime (settings, pool, Kafka producer, caches, rate limiter)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Annotated

import asyncpg
from aiokafka import AIOKafkaProducer
from cachetools import TTLCache
from fastapi import Depends, Request

from bellwether_shared.roles import KeyRing
from bellwether_shared.runtime import Producer
from bellwether_shared.secretbox import SecretBox
from ingest import deletion_repository
from ingest.auth import SourceAuth
from ingest.ratelimit import RateLimiter
from ingest.settings import IngestSettings


class IdentityCache:
    """Positive user→account mappings only (a miss always asks the database), bounded, with a TTL."""

    def __init__(self, *, ttl_s: float, size: int) -> None:
        self._data: TTLCache[str, str] | None = TTLCache(maxsize=size, ttl=ttl_s) if size > 0 and ttl_s > 0 else None

    def get(self, ident: str) -> str | None:
        return self._data.get(ident) if self._data is not None else None

    def put(self, ident: str, account: str) -> None:
        if self._data is not None:
            self._data[ident] = account

    def drop(self, ident: str) -> None:
        if self._data is not None:
            self._data.pop(ident, None)


class Suppressions:
    """The suppressed users' hashes, re-read at most once per ``ttl_s`` (another replica's request
    applies here within that time; this one's at once)."""

    def __init__(self, pool: asyncpg.Pool, *, ttl_s: float) -> None:
        self.pool, self.ttl_s = pool, ttl_s
        self._hashes: frozenset[str] = frozenset()
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def current(self) -> frozenset[str]:
        if time.monotonic() - self._loaded_at >= self.ttl_s:
            async with self._lock:
                if time.monotonic() - self._loaded_at >= self.ttl_s:
                    async with self.pool.acquire() as conn:
                        self._hashes = await deletion_repository.suppressed(conn)
                    self._loaded_at = time.monotonic()
        return self._hashes

    def add(self, hashed: str) -> None:
        self._hashes = self._hashes | {hashed}

    def drop(self, hashed: str) -> None:
        self._hashes = self._hashes - {hashed}


@dataclass
class Runtime:
    settings: IngestSettings
    pool: asyncpg.Pool
    kafka: Producer
    identities: IdentityCache
    auth: SourceAuth
    limiter: RateLimiter
    keys: KeyRing  # the admin API's callers (API_KEYS, and ADMIN_TOKEN as an admin key)
    box: SecretBox | None  # opens senders' signing secrets (None: SECRETS_KEY is not set)
    suppressions: Suppressions  # users whose events are dropped (deletion requests)

    @classmethod
    def build(cls, settings: IngestSettings, pool: asyncpg.Pool, kafka: Producer) -> Runtime:
        return cls(
            settings=settings,
            pool=pool,
            kafka=kafka,
            identities=IdentityCache(ttl_s=settings.identity_cache_ttl_s, size=settings.identity_cache_size),
            auth=SourceAuth(pool, ttl_s=settings.auth_cache_ttl_s),
            keys=KeyRing(settings.api_keys, legacy_admin_token=settings.admin_token.get_secret_value()),
            limiter=RateLimiter(),
            box=settings.secret_box(),
            suppressions=Suppressions(pool, ttl_s=settings.auth_cache_ttl_s),
        )

    @property
    def producer(self) -> AIOKafkaProducer:
        return self.kafka.producer

    @property
    def kafka_ready(self) -> bool:
        return self.kafka.connected.is_set()


async def get_runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
