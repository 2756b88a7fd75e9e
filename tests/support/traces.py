"""Finding every row of a schema that still names someone: each text, jsonb and bytea column of every
table, searched for each needle (a test of erasure must look everywhere, not where the code looks)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg


async def traces(url: str, schema: str, needles: Sequence[str]) -> dict[str, int]:
    """Rows per table (``schema.table``) in which any needle appears; empty when there is none."""
    conn = await asyncpg.connect(url)
    try:
        return await scan(conn, schema, needles)
    finally:
        await conn.close()


async def scan(conn: asyncpg.Connection, schema: str, needles: Sequence[str]) -> dict[str, int]:
    """As :func:`traces`, on an open connection (inside a test's transaction)."""
    columns = await conn.fetch(
        """SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
             JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE'
              AND c.data_type IN ('text', 'jsonb', 'bytea', 'ARRAY', 'character varying')""",
        schema,
    )
    found: dict[str, int] = {}
    tables: dict[str, list[str]] = {}
    for c in columns:
        col = '"' + c["column_name"].replace('"', '""') + '"'
        test = (
            f"position(convert_to(n, 'UTF8') IN {col}) > 0"
            if c["data_type"] == "bytea"
            else f"strpos({col}::text, n) > 0"
        )
        tables.setdefault(c["table_name"], []).append(test)
    for table, tests in tables.items():
        count = await conn.fetchval(
            f'SELECT count(*) FROM "{schema}"."{table}" WHERE EXISTS '
            f"(SELECT 1 FROM unnest($1::text[]) n WHERE {' OR '.join(tests)})",
            list(needles),
        )
        if count:
            found[f"{schema}.{table}"] = count
    return found
