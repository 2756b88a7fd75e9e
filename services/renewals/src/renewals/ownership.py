"""Ownership: the policy's decision for each open opportunity, reassignment by hand (and back to
the policy), account owners by role. Every change is kept in the ownership history and the audit
trail and announced as ownership changed, through the caller's unit of work."""

from __future__ import annotations

from typing import cast

import asyncpg

from bellwether_shared.events import renewals as ev
from bellwether_shared.uow import UnitOfWork
from renewals import opportunity_repository as opps, repository
from renewals.domain import policy as pol
from renewals.domain.errors import Conflict, NotFound


async def load_policy(conn: asyncpg.Connection) -> pol.Policy:
    v = await repository.get_setting(conn, key="policy")
    return pol.Policy(
        model=pol.Model(v.get("model", "split")),
        ae_renewal_min_arr=v.get("ae_renewal_min_arr"),
        ae_expansion_min_arr=v.get("ae_expansion_min_arr"),
        growth_type_decides=v.get("growth_type_decides", True),
        renewals_team=v.get("renewals_team", False),
    )


async def decide_owner(
    conn: asyncpg.Connection, *, account_id: str, kind: str, growth: str | None, arr: float
) -> pol.Decision:
    owners = await repository.owners(conn, account_id=account_id)
    return pol.decide(
        await load_policy(conn),
        motion=pol.Motion(kind),
        growth=pol.GrowthType(growth) if growth else None,
        arr=arr,
        owners=pol.AccountOwners(**owners),
    )


async def _change_owner(
    uow: UnitOfWork, *, row: asyncpg.Record, owner_id: str | None, role: str, reason: str, manual: bool, actor: str
) -> bool:
    if (row["owner_id"], row["owner_role"], row["owner_manual"]) == (owner_id, role, manual):
        return False
    oid, conn = row["opportunity_id"], uow.conn
    await opps.set_owner(conn, opportunity_id=oid, owner_id=owner_id, role=role, reason=reason, manual=manual)
    await opps.add_ownership_history(
        conn,
        account_id=row["account_id"],
        opportunity_id=oid,
        role=role,
        old=row["owner_id"],
        new=owner_id,
        reason=reason,
        actor=actor,
    )
    uow.audit(
        entity_type="opportunity",
        entity_id=oid,
        action="owner_changed",
        actor=actor,
        details={
            "from": row["owner_id"],
            "to": owner_id,
            "role": role,
            "reason": reason,
            "manual": manual,
        },
    )
    if row["owner_id"] != owner_id:
        uow.emit(
            ev.OwnershipChanged(
                account_id=row["account_id"],
                opportunity_id=oid,
                role=cast(ev.Role, role),
                old_owner_id=row["owner_id"],
                new_owner_id=owner_id,
                reason=reason,
                actor=actor,
            )
        )
    return True


async def reassign(
    uow: UnitOfWork, *, opportunity_id: str, owner_id: str | None, role: str | None, reason: str, actor: str
) -> asyncpg.Record:
    """A person's choice (sticks until handed back to the policy with ``owner_id`` None)."""
    conn = uow.conn
    row = await opps.get_opportunity(conn, opportunity_id=opportunity_id, lock=True)
    if row is None:
        raise NotFound(f"opportunity_id: no opportunity '{opportunity_id}'")
    if row["stage"] == "closed":
        raise Conflict("stage: the opportunity is closed")
    if owner_id is None:
        d = await decide_owner(
            conn, account_id=row["account_id"], kind=row["kind"], growth=row["growth_type"], arr=await _arr(conn, row)
        )
        await _change_owner(
            uow,
            row=row,
            owner_id=d.owner_id,
            role=d.role.value,
            reason=f"back to policy: {d.reason}",
            manual=False,
            actor=actor,
        )
    else:
        role = role or row["owner_role"]
        await _change_owner(uow, row=row, owner_id=owner_id, role=role, reason=reason, manual=True, actor=actor)
    fresh = await opps.get_opportunity(conn, opportunity_id=opportunity_id)
    assert fresh is not None
    return fresh


async def _arr(conn: asyncpg.Connection, row: asyncpg.Record) -> float:
    if row["kind"] == "renewal":
        return float(row["arr"])
    return await repository.contracted_arr(conn, account_id=row["account_id"])


async def apply_policy(uow: UnitOfWork, *, account_id: str, actor: str) -> int:
    """Re-decide the owners of the account's open opportunities that nobody assigned by hand."""
    conn, changed = uow.conn, 0
    for row in await opps.open_opportunities(conn, account_id=account_id):
        if row["owner_manual"]:
            continue
        d = await decide_owner(
            conn, account_id=account_id, kind=row["kind"], growth=row["growth_type"], arr=await _arr(conn, row)
        )
        changed += await _change_owner(
            uow, row=row, owner_id=d.owner_id, role=d.role.value, reason=d.reason, manual=False, actor=actor
        )
    return changed


async def set_owners(
    uow: UnitOfWork, *, account_id: str, owners: dict[str, str | None], reason: str, actor: str
) -> dict[str, str | None]:
    """Set the account's owners by role (only the roles given); announce each change."""
    conn = uow.conn
    await repository.ensure_account(conn, account_id=account_id)
    current = await repository.owners(conn, account_id=account_id)
    changed = False
    for role, new in owners.items():
        if current[role] == new:
            continue
        await repository.set_owner(conn, account_id=account_id, role=role, owner_id=new)
        await opps.add_ownership_history(
            conn,
            account_id=account_id,
            opportunity_id=None,
            role=role,
            old=current[role],
            new=new,
            reason=reason,
            actor=actor,
        )
        uow.audit(
            entity_type="account",
            entity_id=account_id,
            action="owner_changed",
            actor=actor,
            details={"role": role, "from": current[role], "to": new},
        )
        uow.emit(
            ev.OwnershipChanged(
                account_id=account_id,
                opportunity_id=None,
                role=cast(ev.Role, role),
                old_owner_id=current[role],
                new_owner_id=new,
                reason=reason,
                actor=actor,
            )
        )
        current[role], changed = new, True
    if changed:
        await apply_policy(uow, account_id=account_id, actor=actor)
    return current
