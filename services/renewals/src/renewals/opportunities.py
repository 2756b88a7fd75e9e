"""Use cases of contracts and opportunities: plain async functions on a unit of work (one
transaction), called by the API and the consumer. State, audit trail and outgoing events (outbox)
commit together."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from bellwether_shared.events import renewals as ev
from bellwether_shared.uow import UnitOfWork
from renewals import contract_repository as contracts, opportunity_repository as opps, repository
from renewals.domain import commands, policy as pol
from renewals.domain.errors import Conflict, Forbidden, NotFound
from renewals.ownership import decide_owner
from renewals.reassess import Horizon, reassess


async def record_contract(
    uow: UnitOfWork, *, c: commands.ContractTerms, actor: str, horizon: Horizon
) -> asyncpg.Record:
    conn = uow.conn
    await repository.ensure_account(conn, account_id=c.account_id)
    row = await contracts.upsert_contract(conn, c=c)
    if row is None:
        raise Conflict(f"contract_id: '{c.contract_id}' belongs to another account")
    details = {k: (str(v) if isinstance(v, date) else v) for k, v in dict(row).items() if k != "inserted"}
    action = "created" if row["inserted"] else "updated"
    uow.audit(entity_type="contract", entity_id=c.contract_id, action=action, actor=actor, details=details)
    uow.emit(
        ev.ContractChanged(
            account_id=row["account_id"],
            contract_id=row["contract_id"],
            start_date=row["start_date"],
            end_date=row["end_date"],
            arr=float(row["arr"]),
            products=list(row["products"] or []),
            deal_id=row["deal_id"],
        )
    )
    await ensure_renewal(uow, contract=row, actor=actor, lead_days=horizon.lead_days)
    await reassess(uow, account_ids=[c.account_id], horizon=horizon)
    return row


async def ensure_renewal(
    uow: UnitOfWork, *, contract: asyncpg.Record, actor: str, lead_days: int, now: datetime | None = None
) -> asyncpg.Record | None:
    """Open the contract's renewal opportunity once it is within ``lead_days`` of its end (as of
    ``now``, default the unit's time)."""
    if (contract["end_date"] - (now or uow.now).date()).days > lead_days:
        return None
    conn = uow.conn
    arr = float(contract["arr"])
    d = await decide_owner(conn, account_id=contract["account_id"], kind="renewal", growth=None, arr=arr)
    row = await opps.insert_opportunity(
        conn,
        o=commands.NewOpportunity(
            opportunity_id=f"renewal-{contract['contract_id']}",
            account_id=contract["account_id"],
            contract_id=contract["contract_id"],
            kind="renewal",
            renewal_date=contract["end_date"],
            arr=arr,
            owner=d,
            source="renewal",
        ),
    )
    if row is not None:
        await _created(uow, row, d, actor)
    return row


async def create_expansion(
    uow: UnitOfWork,
    *,
    account_id: str,
    growth_type: str,
    arr: float,
    close_by: date | None,
    actor: str,
    source: str = "manual",
    reasons: list[str] | None = None,
) -> asyncpg.Record:
    conn = uow.conn
    await repository.ensure_account(conn, account_id=account_id)
    contract_arr = await repository.contracted_arr(conn, account_id=account_id, active_on=uow.now.date())
    d = await decide_owner(conn, account_id=account_id, kind="expansion", growth=growth_type, arr=contract_arr)
    row = await opps.insert_opportunity(
        conn,
        o=commands.NewOpportunity(
            opportunity_id=f"expansion-{uuid.uuid4().hex[:12]}",
            account_id=account_id,
            kind="expansion",
            growth_type=growth_type,
            renewal_date=close_by,
            arr=arr,
            owner=d,
            source=source,
            signal_reasons=tuple(reasons or ()),
        ),
    )
    assert row is not None
    await _created(uow, row, d, actor)
    return row


async def open_ready_expansion(
    uow: UnitOfWork, *, account_id: str, growth_type: str, reasons: list[str], actor: str
) -> asyncpg.Record | None:
    """Health found the account ready to grow: one open expansion at a time, its ARR estimated at
    the ``expansion_estimate`` setting (20 %) of the ARR under contract, its owner chosen by the policy from the
    growth type (more of the same: the CSM when the policy refines by growth type, else the AE)."""
    conn = uow.conn
    if await opps.open_expansion_from(conn, account_id=account_id, source="readiness") is not None:
        return None
    pct = float((await repository.get_setting(conn, key="expansion_estimate")).get("pct", 0.2))
    base = await repository.contracted_arr(conn, account_id=account_id, active_on=uow.now.date())
    if base <= 0:
        account = await repository.get_account(conn, account_id=account_id)
        base = float(account["arr"] or 0) if account else 0.0
    arr = round(max(1.0, base * pct), 2)
    return await create_expansion(
        uow,
        account_id=account_id,
        growth_type=growth_type,
        arr=arr,
        close_by=None,
        actor=actor,
        source="readiness",
        reasons=reasons,
    )


async def _created(uow: UnitOfWork, row: asyncpg.Record, d: pol.Decision, actor: str) -> None:
    oid, account = row["opportunity_id"], row["account_id"]
    uow.audit(
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
        uow.conn,
        account_id=account,
        opportunity_id=oid,
        role=d.role.value,
        old=None,
        new=d.owner_id,
        reason=d.reason,
        actor=actor,
    )
    uow.emit(
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
            owner_reason=d.reason,
            source=row["source"],
            reasons=list(row["signal_reasons"] or []),
        )
    )


async def check_book(uow: UnitOfWork, *, opportunity_id: str, actor: str, role: str) -> None:
    """Refuse a CSM outside their own book (403 naming the roles that may); unknown ids pass on to
    the use case, which answers 404."""
    row = await opps.get_opportunity(uow.conn, opportunity_id=opportunity_id)
    if row is None:
        return
    account = await repository.get_account(uow.conn, account_id=row["account_id"])
    csm = account["csm"] if account is not None else None
    if not pol.in_book(role=role, actor=actor, account_csm=csm, owner_id=row["owner_id"]):
        raise Forbidden(
            f"role: a csm changes only renewals of their own book ({row['account_id']} is "
            f"{csm or 'nobody'}'s); that needs the vp_cs or admin role"
        )


async def set_stage(uow: UnitOfWork, *, opportunity_id: str, stage: str, actor: str) -> asyncpg.Record:
    conn = uow.conn
    row = await opps.get_opportunity(conn, opportunity_id=opportunity_id, lock=True)
    if row is None:
        raise NotFound(f"opportunity_id: no opportunity '{opportunity_id}'")
    if row["stage"] == "closed":
        raise Conflict("stage: the opportunity is closed; closing is final")
    await opps.set_stage(conn, opportunity_id=opportunity_id, stage=stage)
    uow.audit(
        entity_type="opportunity",
        entity_id=opportunity_id,
        action="stage_changed",
        actor=actor,
        details={"from": row["stage"], "to": stage},
    )
    fresh = await opps.get_opportunity(conn, opportunity_id=opportunity_id)
    assert fresh is not None
    return fresh
