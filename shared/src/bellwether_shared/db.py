"""PostgreSQL helpers: an asyncpg pool bound to the service's own schema, with JSON codecs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg
import orjson


def json_default(value: Any) -> Any:
    """What orjson does not serialise itself: numeric columns (Decimal) become numbers."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(
            typ,
            schema="pg_catalog",
            encoder=lambda v: orjson.dumps(v, default=json_default).decode(),
            decoder=orjson.loads,
            format="text",
        )


async def create_pool(
    database_url: str, *, schema: str, min_size: int = 2, max_size: int = 10, application_name: str | None = None
) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        # custom plans always: queue-like tables (outbox, inbox, re-score queue, deliveries) go from empty
        # to 100,000 rows in seconds, and a generic plan cached while one looked empty (seq scans, nested
        # loops) stayed until autovacuum's next analyze: 14 s a claim in a re-score (issue 26). A custom
        # plan sees the table's current size and the values; planning costs ~0.1 ms a statement.
        server_settings={
            "search_path": schema,
            "application_name": application_name or schema,
            "plan_cache_mode": "force_custom_plan",
        },
        command_timeout=30,
    )
    assert pool is not None
    return pool


async def ping(pool: asyncpg.Pool) -> bool:
    try:
        async with pool.acquire(timeout=1.0) as conn:
            return bool(await conn.fetchval("SELECT 1"))
    except Exception:  # noqa: BLE001 - readiness reports, never raises
        return False


async def connect(database_url: str, *, schema: str | None = None) -> asyncpg.Connection:
    """A single connection with the same JSON codecs as the pool (scripts, tests, one-shot jobs)."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": schema} if schema else None)
    await _init_connection(conn)
    return conn
