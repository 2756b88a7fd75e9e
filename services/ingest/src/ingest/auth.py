"""Write keys (sources). (The admin API's callers: ``bellwether_shared.roles``.)

Write keys arrive as HTTP Basic username (empty password; rudder-sdk-python, and segment's
library as well), as a Bearer token, or as ``writeKey`` in the JSON body (segment-analytics-python).
Only their SHA-256 is stored; a key is 256 random bits, so a fast hash is the right one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from cachetools import TTLCache

from bellwether_shared.http import ApiError
from bellwether_shared.secretbox import SecretBox
from ingest import source_repository as sources
from ingest.domain.keys import KEY_PREFIX, hash_key, new_write_key
from ingest.source_repository import Source

__all__ = ["KEY_PREFIX", "SourceAuth", "hash_key", "new_write_key"]


def write_key_from(authorization: str | None, body: dict[str, Any] | None) -> str | None:
    if authorization:
        scheme, _, value = authorization.partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            try:
                user = base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                raise ApiError(401, "unauthorized", "malformed Basic credentials") from None
            if user:
                return user
        elif scheme == "bearer" and value.strip():
            return value.strip()
    if body is not None:
        key = body.get("writeKey")
        if isinstance(key, str) and key:
            return key
    return None


def header_key(headers: Mapping[str, str], names: Sequence[str]) -> str | None:
    """The write key a sender that cannot put it in the body carries: ``Authorization`` (Basic or
    Bearer), else the first of the configured headers (``WRITE_KEY_HEADERS``) that holds one."""
    key = write_key_from(headers.get("authorization"), None)
    for name in names:
        key = key or (headers.get(name.lower()) or "").strip() or None
    return key


def signing_secret(box: SecretBox | None, source: Source) -> str:
    """The source's signing secret in clear (only when it has one); 503 when it cannot be opened."""
    assert source.signing_secret is not None
    if box is None:
        raise ApiError(503, "unavailable", "this source's signing secret cannot be opened: SECRETS_KEY is not set")
    return box.open(source.signing_secret)


class SourceAuth:
    """Looks sources up by key hash, with a short cache; revocation on this instance is immediate."""

    def __init__(self, pool: asyncpg.Pool, *, ttl_s: float, size: int = 10_000) -> None:
        self.pool = pool
        self.ttl_s = ttl_s
        # key hash → source. Unknown keys are cached apart (bounded, least recently used out), so a
        # flood of bad keys stays cheap and can never push a real source out of the cache.
        self._known: TTLCache[str, Source] | None = TTLCache(maxsize=size, ttl=ttl_s) if ttl_s > 0 else None
        self._unknown: TTLCache[str, bool] | None = TTLCache(maxsize=size, ttl=ttl_s) if ttl_s > 0 else None
        self._by_id: TTLCache[str, Source] | None = TTLCache(maxsize=size, ttl=ttl_s) if ttl_s > 0 else None

    async def authenticate(self, key: str | None) -> Source:
        if not key:
            raise ApiError(
                401,
                "unauthorized",
                "no write key: send it as Basic username, Bearer token or writeKey",
                headers={"WWW-Authenticate": 'Basic realm="ingest"'},
            )
        digest = hash_key(key)
        source: Source | None
        if self._known is not None and digest in self._known:
            source = self._known[digest]
        elif self._unknown is not None and digest in self._unknown:
            source = None
        else:
            async with self.pool.acquire() as conn:
                source = await sources.source_by_key_hash(conn, write_key_hash=digest)
            if source is not None and self._known is not None:
                self._known[digest] = source
            elif source is None and self._unknown is not None:
                self._unknown[digest] = True
        if source is None or source.revoked_at is not None:
            raise ApiError(
                401,
                "unauthorized",
                "unknown or revoked write key",
                headers={"WWW-Authenticate": 'Basic realm="ingest"'},
            )
        return source

    async def by_id(self, source_id: str) -> Source | None:
        """A live source by id (webhooks that authenticate by signature); cached like keys."""
        source = self._by_id.get(source_id) if self._by_id is not None else None
        if source is None:
            async with self.pool.acquire() as conn:
                source = await sources.get_source(conn, source_id=source_id)
            if source is not None and self._by_id is not None:
                self._by_id[source_id] = source
        return source if source is not None and source.revoked_at is None else None

    def forget(self, source_id: str) -> None:
        if self._by_id is not None:
            self._by_id.pop(source_id, None)
        if self._known is None:
            return
        for digest, src in list(self._known.items()):
            if src.id == source_id:
                self._known.pop(digest, None)
