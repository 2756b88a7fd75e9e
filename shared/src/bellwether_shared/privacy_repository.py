"""Forgetting a person in a service's schema (a deletion request): every row of every table that still
names them goes. Ids match exactly in text columns and as JSON strings in jsonb; names, e-mail
addresses and user ids (four characters or more) match anywhere in text, jsonb and bytea. Tables a
service has already pseudonymised (counts kept under a random id) no longer match. Parameterised;
table and column names come from the catalogue and are quoted. Ids of eight characters or more also
match inside free text."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

import asyncpg

LONG_ID = 8
NEVER = frozenset({"schema_migrations", "inbox"})  # event ids only


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _condition(column: str, kind: str) -> str:
    col = _q(column)
    if kind == "text":
        return f"({col} = ANY($1::text[]) OR EXISTS (SELECT 1 FROM unnest($2::text[]) n WHERE strpos({col}, n) > 0))"
    if kind == "jsonb":
        return f"EXISTS (SELECT 1 FROM unnest($3::text[]) n WHERE strpos({col}::text, n) > 0)"
    return f"EXISTS (SELECT 1 FROM unnest($4::bytea[]) n WHERE position(n IN {col}) > 0)"


async def forget_everywhere(
    conn: asyncpg.Connection, *, ids: Sequence[str], texts: Sequence[str], skip: Collection[str] = ()
) -> dict[str, int]:
    """Deletes the rows that name the person; returns rows deleted per table (only those with any)."""
    # free text may name a long id too ("contact 003Dn00000Abc left"); a short one would match too much
    texts = [t for t in (*texts, *(i for i in ids if len(i) >= LONG_ID)) if t and len(t) >= 4]
    quoted = [f'"{i}"' for i in ids if i] + texts
    raw = [t.encode() for t in quoted]
    columns = await conn.fetch(
        """SELECT table_name, column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND data_type IN ('text', 'jsonb', 'bytea')
              AND table_name IN (SELECT table_name FROM information_schema.tables
                                  WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')
            ORDER BY table_name, ordinal_position"""
    )
    tables: dict[str, list[str]] = {}
    for c in columns:
        if c["table_name"] not in NEVER and c["table_name"] not in skip:
            tables.setdefault(c["table_name"], []).append(_condition(c["column_name"], c["data_type"]))
    every = "cardinality($1::text[]) + cardinality($2::text[]) + cardinality($3::text[]) + cardinality($4::bytea[])"
    gone: dict[str, int] = {}
    pending = list(tables)
    for _ in range(len(pending) + 1):  # a row another row still references goes once that one has gone
        blocked = []
        for table in pending:
            sql = f"DELETE FROM {_q(table)} WHERE ({' OR '.join(tables[table])}) AND {every} >= 0"
            try:
                async with conn.transaction():  # a savepoint: a refused delete leaves the rest intact
                    status = await conn.execute(sql, list(ids), texts, quoted, raw)
            except asyncpg.ForeignKeyViolationError:
                blocked.append(table)
                continue
            if (count := int(status.split()[-1])) > 0:
                gone[table] = count
        if not blocked or blocked == pending:
            pending = blocked
            break
        pending = blocked
    if pending:
        raise RuntimeError(f"rows naming the person are still referenced in: {', '.join(pending)}")
    return gone


async def pseudonymise(conn: asyncpg.Connection, *, table: str, column: str, ids: Sequence[str]) -> None:
    """Keeps the rows (the counts they make) under a random id per person, unlinkable to them."""
    fresh = [f"forgotten:{uuid.uuid4().hex[:16]}" for _ in ids]
    await conn.execute(
        f"UPDATE {_q(table)} SET {_q(column)} = p.fresh FROM unnest($1::text[], $2::text[]) AS p(id, fresh) "
        f"WHERE {_q(table)}.{_q(column)} = p.id",
        list(ids),
        fresh,
    )


async def contact_details(conn: asyncpg.Connection, *, contact_ids: Sequence[str]) -> list[str]:
    """The names (and e-mail addresses) this service keeps of the contacts: what else may name them."""
    columns = {
        r["column_name"]
        for r in await conn.fetch(
            """SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = 'contacts' AND column_name IN ('name', 'email')"""
        )
    }
    if not columns:
        return []
    rows = await conn.fetch(
        f"SELECT {', '.join(sorted(columns))} FROM contacts WHERE contact_id = ANY($1::text[])", list(contact_ids)
    )
    return sorted({v for r in rows for v in r.values() if v})


async def forget_person(
    conn: asyncpg.Connection, *, user_id: str, contact_ids: Sequence[str], texts: Sequence[str] = ()
) -> dict[str, int]:
    """The generic step every service takes: what it knows of the contacts' names, then every row."""
    named = await contact_details(conn, contact_ids=contact_ids)
    return await forget_everywhere(conn, ids=[user_id, *contact_ids], texts=[user_id, *named, *texts])
