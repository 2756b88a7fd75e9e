"""Sources (senders) and their write keys, signing secrets and configuration. Keyword-only,
parameterised; write keys are stored as SHA-256 hashes, signing secrets sealed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from bellwether_shared.documents import Document
from ingest.domain.scopes import Grant
from ingest.domain.tracking_plan import TrackingPlan


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    name: str
    key_prefix: str
    rate_limit_eps: int
    burst: int
    created_at: datetime
    revoked_at: datetime | None
    scopes: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    kind: str = "api"
    signing_secret: str | None = None  # sealed (SecretBox); None: signatures are not checked
    config: dict[str, Any] = field(default_factory=dict)
    plan: TrackingPlan | None = None  # compiled once per cache fill (the auth cache keeps sources)

    @property
    def signed(self) -> bool:
        return self.signing_secret is not None

    @property
    def grant(self) -> Grant:
        return Grant(frozenset(self.scopes), self.accounts)

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Source:
        return cls(
            row["id"],
            row["name"],
            row["key_prefix"],
            row["rate_limit_eps"],
            row["burst"],
            row["created_at"],
            row["revoked_at"],
            tuple(row["scopes"]),
            tuple(row["accounts"]),
            row["kind"],
            row["signing_secret"],
            dict(row["config"]),
            TrackingPlan.from_doc(row["tracking_plan"]) if row["tracking_plan"] is not None else None,
        )


_SOURCE_COLS = (
    "id, name, key_prefix, rate_limit_eps, burst, created_at, revoked_at, scopes, accounts, kind, signing_secret, "
    "config, tracking_plan"
)


async def insert_source(
    conn: asyncpg.Connection,
    *,
    id: str,
    name: str,
    write_key_hash: str,
    key_prefix: str,
    rate_limit_eps: int,
    burst: int,
    scopes: Sequence[str] = ("identity", "usage"),
    accounts: Sequence[str] = (),
    kind: str = "api",
    config: Document | None = None,
) -> Source:
    row = await conn.fetchrow(
        f"""INSERT INTO sources (id, name, write_key_hash, key_prefix, rate_limit_eps, burst, scopes, accounts,
                                 kind, config)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {_SOURCE_COLS}""",
        id,
        name,
        write_key_hash,
        key_prefix,
        rate_limit_eps,
        burst,
        list(scopes),
        list(accounts),
        kind,
        config or {},
    )
    return Source.from_row(row)


async def update_grant(
    conn: asyncpg.Connection, *, source_id: str, scopes: Sequence[str] | None, accounts: Sequence[str] | None
) -> Source | None:
    """Change what a source may write (only what is given). None when there is no such source."""
    row = await conn.fetchrow(
        f"""UPDATE sources SET scopes = coalesce($2, scopes), accounts = coalesce($3, accounts) WHERE id = $1
            RETURNING {_SOURCE_COLS}""",
        source_id,
        list(scopes) if scopes is not None else None,
        list(accounts) if accounts is not None else None,
    )
    return Source.from_row(row) if row else None


async def source_by_key_hash(conn: asyncpg.Connection, *, write_key_hash: str) -> Source | None:
    row = await conn.fetchrow(f"SELECT {_SOURCE_COLS} FROM sources WHERE write_key_hash = $1", write_key_hash)
    return Source.from_row(row) if row else None


async def list_sources(conn: asyncpg.Connection, *, include_revoked: bool = True) -> list[Source]:
    rows = await conn.fetch(
        f"SELECT {_SOURCE_COLS} FROM sources WHERE $1 OR revoked_at IS NULL ORDER BY created_at, id",
        include_revoked,
    )
    return [Source.from_row(r) for r in rows]


async def get_source(conn: asyncpg.Connection, *, source_id: str) -> Source | None:
    row = await conn.fetchrow(f"SELECT {_SOURCE_COLS} FROM sources WHERE id = $1", source_id)
    return Source.from_row(row) if row else None


async def revoke_source(conn: asyncpg.Connection, *, source_id: str) -> Source | None:
    row = await conn.fetchrow(
        f"""UPDATE sources SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
            RETURNING {_SOURCE_COLS}""",
        source_id,
    )
    return Source.from_row(row) if row else None


async def set_signing_secret(conn: asyncpg.Connection, *, source_id: str, sealed: str | None) -> Source | None:
    row = await conn.fetchrow(
        f"UPDATE sources SET signing_secret = $2 WHERE id = $1 RETURNING {_SOURCE_COLS}", source_id, sealed
    )
    return Source.from_row(row) if row else None


async def set_config(conn: asyncpg.Connection, *, source_id: str, config: Document) -> Source | None:
    row = await conn.fetchrow(
        f"UPDATE sources SET config = $2 WHERE id = $1 RETURNING {_SOURCE_COLS}", source_id, config
    )
    return Source.from_row(row) if row else None


async def set_tracking_plan(conn: asyncpg.Connection, *, source_id: str, plan: Document | None) -> Source | None:
    row = await conn.fetchrow(
        f"UPDATE sources SET tracking_plan = $2 WHERE id = $1 RETURNING {_SOURCE_COLS}", source_id, plan
    )
    return Source.from_row(row) if row else None
