"""The accepting path's caches: user→account mappings (positive only, bounded, with a TTL) and the
suppressed users' hashes (re-read at most once per TTL)."""

from __future__ import annotations

import asyncio

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
        self.pool = pool
        self._cache: TTLCache[str, frozenset[str]] = TTLCache(maxsize=1, ttl=ttl_s)
        self._lock = asyncio.Lock()

    async def current(self) -> frozenset[str]:
        found = self._cache.get("hashes")
        if found is None:
            async with self._lock:  # one read for the requests that find it expired together
                found = self._cache.get("hashes")
                if found is None:
                    async with self.pool.acquire() as conn:
                        found = await deletion_repository.suppressed(conn)
                    self._cache["hashes"] = found
        return found

    def add(self, hashed: str) -> None:
        if (found := self._cache.get("hashes")) is not None:
            self._cache["hashes"] = found | {hashed}

    def drop(self, hashed: str) -> None:
        if (found := self._cache.get("hashes")) is not None:
            self._cache["hashes"] = found - {hashed}
