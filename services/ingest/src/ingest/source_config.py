"""Use cases that configure a source: its creation with a write key (shown once, stored hashed), what
the key may write, its revocation, the secret its requests are signed with (sealed at rest), a
sender's configuration and the tracking plan. Keyword-only async functions on a connection; each
returns the source as it now is, or None when there is no such source. The routes check what the
caller sent and forget the source's cached grant after a change."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import asyncpg

from bellwether_shared.documents import Document
from ingest import source_repository as sources
from ingest.domain import scopes as scope_names
from ingest.domain.adapters import registry
from ingest.domain.keys import hash_key, new_write_key


async def create_source(
    conn: asyncpg.Connection,
    *,
    name: str,
    kind: str,
    config: Document | None,
    rate_limit_eps: int,
    burst: int,
    scopes: Sequence[str] | None,
    accounts: Sequence[str],
) -> tuple[sources.Source, str]:
    """A new source and its write key (the only time the key is seen: only its hash is kept). Without
    scopes, a sender kind gets the scopes its events need, the tracking API the default ones."""
    default_scopes = registry.scopes_for(kind) if kind in registry.KINDS else scope_names.DEFAULT
    key = new_write_key()
    src = await sources.insert_source(
        conn,
        id="src_" + secrets.token_hex(8),
        name=name,
        write_key_hash=hash_key(key),
        key_prefix=key[:10],
        rate_limit_eps=rate_limit_eps,
        burst=burst,
        scopes=scopes if scopes is not None else default_scopes,
        accounts=accounts,
        kind=kind,
        config=config,
    )
    return src, key


async def update_grant(
    conn: asyncpg.Connection, *, source_id: str, scopes: Sequence[str] | None, accounts: Sequence[str] | None
) -> sources.Source | None:
    return await sources.update_grant(conn, source_id=source_id, scopes=scopes, accounts=accounts)


async def revoke(conn: asyncpg.Connection, *, source_id: str) -> sources.Source | None:
    return await sources.revoke_source(conn, source_id=source_id)


async def set_signing_secret(conn: asyncpg.Connection, *, source_id: str, sealed: str | None) -> sources.Source | None:
    """From now on the source's requests must be signed with this secret (None: no longer checked)."""
    return await sources.set_signing_secret(conn, source_id=source_id, sealed=sealed)


async def set_config(conn: asyncpg.Connection, *, source_id: str, config: Document) -> sources.Source | None:
    return await sources.set_config(conn, source_id=source_id, config=config)


async def set_tracking_plan(
    conn: asyncpg.Connection, *, source_id: str, plan: Document | None
) -> sources.Source | None:
    return await sources.set_tracking_plan(conn, source_id=source_id, plan=plan)
