"""The write-key cache under a flood of unknown keys: real sources stay cached (unknown keys are
cached apart, bounded), so the flood costs one lookup per new bad key and never evicts a good one.
Observed through the database: once a cached source's row is gone, only the cache can still answer."""

from __future__ import annotations

import secrets

import pytest

from bellwether_shared.db import create_pool
from bellwether_shared.http import ApiError
from ingest import source_repository as sources
from ingest.auth import SourceAuth, hash_key, new_write_key


async def test_a_flood_of_unknown_keys_never_evicts_a_known_source(ingest_db, run_id) -> None:
    key = new_write_key()
    pool = await create_pool(ingest_db.url, schema="ingest", min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await sources.insert_source(
                conn,
                id=f"src-{run_id}",
                name="n",
                write_key_hash=hash_key(key),
                key_prefix="p",
                rate_limit_eps=1,
                burst=1,
            )
        auth = SourceAuth(pool, ttl_s=600, size=50)
        assert (await auth.authenticate(key)).id == f"src-{run_id}"
        for _ in range(200):  # four times the cache size
            with pytest.raises(ApiError):
                await auth.authenticate("bwk_" + secrets.token_urlsafe(16))
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM sources WHERE id = $1", f"src-{run_id}")
        assert (await auth.authenticate(key)).id == f"src-{run_id}"  # answered from the cache
        auth.forget(f"src-{run_id}")
        with pytest.raises(ApiError):  # forgotten: the database says it is gone
            await auth.authenticate(key)
    finally:
        await pool.close()
