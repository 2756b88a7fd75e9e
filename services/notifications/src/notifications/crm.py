"""CRM write-back use cases: add, change and remove a destination (each write commits with what it
causes: a new destination, or new field names, queue every known account), resync, the accounts' CRM
record ids, and the state an admin reads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from bellwether_shared.envelope import utcnow
from notifications import crm_admin_repository as admin, crm_repository
from notifications.crm_admin_repository import DestinationChange as DestinationChange  # the command
from notifications.domain import crm

STATES = ("pending", "synced", "retrying", "failed", "unmapped")


class NotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class NewDestination:
    name: str
    kind: crm.Kind
    base_url: str
    token_sealed: str
    fields: dict[str, str]
    api_version: str | None
    coalesce_s: float


async def _shown(conn: asyncpg.Connection, row: Any) -> dict[str, Any]:
    out = {k: v for k, v in dict(row).items() if k != "token_sealed"}
    return out | {"status": await admin.counts(conn, destination_id=row["destination_id"])}


async def _found(conn: asyncpg.Connection, destination_id: str) -> Any:
    row = await admin.get(conn, destination_id=destination_id)
    if row is None:
        raise NotFound(f"destination_id: no CRM destination '{destination_id}'")
    return row


async def add(pool: asyncpg.Pool, *, d: NewDestination) -> dict[str, Any]:
    """The destination, and every account the service knows queued for its first write."""
    async with pool.acquire() as conn, conn.transaction():
        row = await admin.create(
            conn,
            destination_id="crm_" + uuid.uuid4().hex[:16],
            name=d.name,
            kind=d.kind,
            base_url=d.base_url,
            token_sealed=d.token_sealed,
            fields=d.fields,
            api_version=d.api_version,
            coalesce_s=d.coalesce_s,
        )
        await admin.resync(conn, destination_id=row["destination_id"], account_ids=None, forget=True, now=utcnow())
        return await _shown(conn, row)


async def kind_of(pool: asyncpg.Pool, *, destination_id: str) -> crm.Kind:
    async with pool.acquire() as conn:
        kind: crm.Kind = (await _found(conn, destination_id))["kind"]
        return kind


async def change(pool: asyncpg.Pool, *, destination_id: str, c: DestinationChange) -> dict[str, Any]:
    """New field names show nothing yet in the CRM: every value is written again under them."""
    async with pool.acquire() as conn, conn.transaction():
        await _found(conn, destination_id)
        row = await admin.update(conn, destination_id=destination_id, change=c)
        if c.fields is not None:
            await admin.resync(conn, destination_id=destination_id, account_ids=None, forget=True, now=utcnow())
        return await _shown(conn, row)


async def remove(pool: asyncpg.Pool, *, destination_id: str) -> None:
    async with pool.acquire() as conn:
        if not await admin.delete(conn, destination_id=destination_id):
            raise NotFound(f"destination_id: no CRM destination '{destination_id}'")


async def destinations(pool: asyncpg.Pool, *, destination_id: str | None = None) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        if destination_id is not None:
            return [await _shown(conn, await _found(conn, destination_id))]
        return [await _shown(conn, r) for r in await admin.listed(conn)]


async def records(
    pool: asyncpg.Pool, *, destination_id: str, state: str | None, account_id: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        await _found(conn, destination_id)
        rows = await admin.records(
            conn, destination_id=destination_id, state=state, account_id=account_id, limit=limit, offset=offset
        )
    return [dict(r) for r in rows]


async def resync(pool: asyncpg.Pool, *, destination_id: str, account_ids: Sequence[str] | None, forget: bool) -> int:
    async with pool.acquire() as conn, conn.transaction():
        await _found(conn, destination_id)
        return await admin.resync(
            conn, destination_id=destination_id, account_ids=account_ids, forget=forget, now=utcnow()
        )


async def set_records(pool: asyncpg.Pool, *, account_id: str, ids: dict[str, str]) -> dict[str, str]:
    """The account's record ids; a new one queues the account's write to that CRM."""
    async with pool.acquire() as conn, conn.transaction():
        if await crm_repository.set_records(conn, account_id=account_id, ids=ids):
            await crm_repository.mark(conn, account_ids=[account_id], now=utcnow())
        return await crm_repository.records_of(conn, account_id=account_id)
