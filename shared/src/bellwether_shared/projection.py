"""Latest-wins projections, one way for every service: a row per key that an older fact never overwrites
(redelivery and cross-topic order do not matter). Each service still owns its tables; a ``Latest`` says
how one of them keeps its facts, and ``upsert`` writes one row by it.

Columns of the row given are replaced by a newer fact, except ``keep`` columns (a fact that leaves them
out, None, keeps the stored value; a new row gets the column's default) and ``earliest`` ones (the
earliest value seen stays). The statement
is built once per table and set of columns; identifiers come from code, never from input."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import asyncpg

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Latest:
    table: str
    key: tuple[str, ...]
    at: str  # the column holding when the fact happened: an older fact changes nothing
    keep: frozenset[str] = frozenset()
    earliest: frozenset[str] = frozenset()
    also: tuple[tuple[str, str], ...] = field(default=())  # further SET column = SQL expression (e.g. now())

    def __post_init__(self) -> None:
        names = (self.table, self.at, *self.key, *self.keep, *self.earliest, *(c for c, _ in self.also))
        bad = [n for n in names if not _IDENTIFIER.match(n)]
        if bad:
            raise ValueError(f"not an SQL identifier: {bad}")


def _assignment(spec: Latest, column: str) -> str:
    if column in spec.keep:
        return f"{column} = coalesce(excluded.{column}, {spec.table}.{column})"
    if column in spec.earliest:
        return f"{column} = least({spec.table}.{column}, excluded.{column})"
    return f"{column} = excluded.{column}"


@cache
def statement(spec: Latest, columns: tuple[str, ...]) -> str:
    """The upsert of ``columns`` by ``spec`` (cached: one text per table and column set)."""
    bad = [c for c in columns if not _IDENTIFIER.match(c)]
    if bad or spec.at not in columns or not set(spec.key) <= set(columns):
        raise ValueError(f"{spec.table}: columns {columns} must be identifiers with the key and '{spec.at}'")
    values = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    sets = [_assignment(spec, c) for c in columns if c not in spec.key]
    sets += [f"{column} = {expression}" for column, expression in spec.also]
    t, at = spec.table, spec.at
    return (
        f"INSERT INTO {t} ({', '.join(columns)}) VALUES ({values}) "
        f"ON CONFLICT ({', '.join(spec.key)}) DO UPDATE SET {', '.join(sets)} "
        f"WHERE {t}.{at} IS NULL OR excluded.{at} >= {t}.{at}"
    )


async def upsert(conn: asyncpg.Connection, spec: Latest, row: Mapping[str, Any]) -> bool:
    """Write the row unless a newer fact is stored; True when it was written."""
    given = {k: v for k, v in row.items() if v is not None or k not in spec.keep}
    status: str = await conn.execute(statement(spec, tuple(given)), *given.values())
    return status.endswith(" 1")
