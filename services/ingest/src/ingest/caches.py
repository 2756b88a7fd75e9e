"""The accepting path's caches: user→account mappings (positive only, bounded, with a TTL) and the
suppressed users' hashes (re-read at most once per TTL)."""

from __future__ import annotations

import asyncio
import time

import asyncpg
from cachetools import TTLCache

from ingest import deletion_repository


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
