"""Use cases of contracts and opportunities: plain async functions on a connection, called inside
one transaction by the API and the consumer. State, audit trail and outgoing events (outbox) are
written together."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, cast

import asyncpg

from bellwether_shared import outbox
from bellwether_shared.events import renewals as ev
from renewals import opportunity_repository as opps
from renewals import repository
from renewals.domain import policy as pol
from renewals.errors import Conflict, NotFound
from renewals.ownership import decide_owner
from renewals.reassess import envelope, reassess


async def record_contract(
    conn: asyncpg.Connection, *, c: dict[str, Any], actor: str, now: datetime, lead_days: int, trend_days: int
) -> asyncpg.Record:
    await repository.ensure_account(conn, account_id=c["account_id"])
    row = await opps.upsert_contract(conn, c=c)
    if row is None:
        raise Conflict(f"contract_id: '{c['contract_id']}' belongs to another account")
    details = {k: (str(v) if isinstance(v, date) else v) for k, v in dict(row).items() if k != "inserted"}
    action = "created" if row["inserted"] else "updated"
    await repository.audit(
        conn, entity_type="contract", entity_id=c["contract_id"], action=action, actor=actor, details=details
    )
    await ensure_renewal(conn, contract=row, actor=actor, now=now, lead_days=lead_days)
    await reassess(conn, account_ids=[c["account_id"]], now=now, trend_days=trend_days)
    return row


async def ensure_renewal(
    conn: asyncpg.Connection, *, contract: asyncpg.Record, actor: str, now: datetime, lead_days: int
) -> asyncpg.Record | None:
    """Open the contract's renewal opportunity once it is within ``lead_days`` of its end."""
    if (contract["end_date"] - now.date()).days > lead_days:
        return None
    arr = float(contract["arr"])
    d = await decide_owner(conn, account_id=contract["account_id"], kind="renewal", growth=None, arr=arr)
    row = await opps.insert_opportunity(
        conn,
        o={
            "opportunity_id": f"renewal-{contract['contract_id']}",
            "account_id": contract["account_id"],
            "contract_id": contract["contract_id"],
            "kind": "renewal",
            "renewal_date": contract["end_date"],
            "arr": arr,
            "owner_id": d.owner_id,
            "owner_role": d.role.value,
            "owner_reason": d.reason,
        },
    )
    if row is not None:
        await _created(conn, row, d, actor, now)
    return row


async def create_expansion(
    conn: asyncpg.Connection,
    *,
    account_id: str,
    growth_type: str,
    arr: float,
    close_by: date | None,
    actor: str,
    now: datetime,
) -> asyncpg.Record:
    await repository.ensure_account(conn, account_id=account_id)
    contract_arr = float(
        await conn.fetchval(
            "SELECT coalesce(sum(arr), 0) FROM contracts WHERE account_id = $1 AND end_date >= $2",
            account_id,
            now.date(),
        )
    )
    d = await decide_owner(conn, account_id=account_id, kind="expansion", growth=growth_type, arr=contract_arr)
    row = await opps.insert_opportunity(
        conn,
        o={
            "opportunity_id": f"expansion-{uuid.uuid4().hex[:12]}",
            "account_id": account_id,
            "kind": "expansion",
            "growth_type": growth_type,
            "renewal_date": close_by,
            "arr": arr,
            "owner_id": d.owner_id,
            "owner_role": d.role.value,
            "owner_reason": d.reason,
        },
    )
    assert row is not None
    await _created(conn, row, d, actor, now)
    return row


async def _created(conn: asyncpg.Connection, row: asyncpg.Record, d: pol.Decision, actor: str, now: datetime) -> None:
    oid, account = row["opportunity_id"], row["account_id"]
    await repository.audit(
        conn,
        entity_type="opportunity",
        entity_id=oid,
        action="created",
        actor=actor,
        details={
            "kind": row["kind"],
            "arr": float(row["arr"]),
            "owner_id": d.owner_id,
            "owner_role": d.role.value,
            "reason": d.reason,
        },
    )
    await opps.add_ownership_history(
        conn,
        account_id=account,
        opportunity_id=oid,
        role=d.role.value,
        old=None,
        new=d.owner_id,
        reason=d.reason,
        actor=actor,
    )
    await outbox.add(
        conn,
        [
            envelope(
                ev.OpportunityCreated(
                    account_id=account,
                    opportunity_id=oid,
                    kind=row["kind"],
                    contract_id=row["contract_id"],
                    renewal_date=row["renewal_date"],
                    arr=float(row["arr"]),
                    growth_type=row["growth_type"],
                    owner_id=d.owner_id,
                    owner_role=d.role.value,
                ),
                now,
            )
        ],
    )


async def close(
    conn: asyncpg.Connection, *, opportunity_id: str, outcome: str, arr_change: float, actor: str, now: datetime
) -> asyncpg.Record:
    row = await opps.get_opportunity(conn, opportunity_id=opportunity_id, lock=True)
    if row is None:
        raise NotFound(f"opportunity_id: no opportunity '{opportunity_id}'")
    if row["stage"] == "closed":
        raise Conflict(f"stage: already closed as {row['outcome']}")
    colour = await conn.fetchval("SELECT health_colour FROM accounts WHERE account_id = $1", row["account_id"])
    closed = await opps.close(
        conn, opportunity_id=opportunity_id, outcome=outcome, arr_change=arr_change, colour=colour
    )
    await repository.audit(
        conn,
        entity_type="opportunity",
        entity_id=opportunity_id,
        action="closed",
        actor=actor,
        details={
            "outcome": outcome,
            "arr_change": arr_change,
            "health_colour": colour,
        },
    )
    await outbox.add(
        conn,
        [
            envelope(
                ev.RenewalClosed(
                    account_id=row["account_id"],
                    opportunity_id=opportunity_id,
                    outcome=cast(ev.Outcome, outcome),
                    arr=float(row["arr"]),
                    arr_change=arr_change,
                    closed_at=closed["closed_at"],
                ),
                now,
            )
        ],
    )
    return closed


async def set_stage(conn: asyncpg.Connection, *, opportunity_id: str, stage: str, actor: str) -> asyncpg.Record:
    row = await opps.get_opportunity(conn, opportunity_id=opportunity_id, lock=True)
    if row is None:
        raise NotFound(f"opportunity_id: no opportunity '{opportunity_id}'")
    if row["stage"] == "closed":
        raise Conflict("stage: the opportunity is closed; closing is final")
    await opps.set_stage(conn, opportunity_id=opportunity_id, stage=stage)
    await repository.audit(
        conn,
        entity_type="opportunity",
        entity_id=opportunity_id,
        action="stage_changed",
        actor=actor,
        details={"from": row["stage"], "to": stage},
    )
    fresh = await opps.get_opportunity(conn, opportunity_id=opportunity_id)
    assert fresh is not None
    return fresh
