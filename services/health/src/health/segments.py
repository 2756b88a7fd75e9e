"""Use cases of saved segments: a named set of filters saved (replacing one of the same key) or deleted.
Built-in segments are the migrations'; these are the admin's own."""

from __future__ import annotations

from typing import Any

import asyncpg

from health import query_repository as queries, schemas


async def save(conn: asyncpg.Connection, *, key: str, segment: schemas.SegmentIn) -> dict[str, Any]:
    filters = segment.filters.model_dump(exclude_none=True)
    return await queries.put_saved_segment(conn, key=key, name=segment.name, filters=filters)


async def delete(conn: asyncpg.Connection, *, key: str) -> bool:
    return await queries.delete_saved_segment(conn, key=key)
