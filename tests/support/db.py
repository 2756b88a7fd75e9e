"""A migrated service schema inside a transaction that is rolled back: handler, repository and
retention tests run on the real PostgreSQL in milliseconds, leave nothing behind, and see no other
test's rows (they only look at ids of their own)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from bellwether_shared.db import connect


@asynccontextmanager
async def rolled_back(url: str, *, schema: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(url, schema=schema)
    tx = conn.transaction()
    await tx.start()
    try:
        yield conn
    finally:
        await tx.rollback()
        await conn.close()
