"""Use cases of the company-wide configuration: each setting replaced whole and audited (who, what),
and what depends on it brought in line in the same transaction: the ownership policy re-decides the
owners not assigned by hand; new risk weights re-assess every open renewal."""

from __future__ import annotations

from bellwether_shared.documents import Document
from bellwether_shared.uow import UnitOfWork
from renewals import ownership, repository
from renewals.reassess import Horizon, reassess


async def put_setting(uow: UnitOfWork, *, key: str, value: Document, actor: str) -> None:
    await repository.put_setting(uow.conn, key=key, value=value, actor=actor)
    uow.audit(entity_type="setting", entity_id=key, action="updated", actor=actor, details=value)


async def set_policy(uow: UnitOfWork, *, value: Document, actor: str) -> int:
    """The new ownership policy; returns how many opportunities changed owner under it."""
    await put_setting(uow, key="policy", value=value, actor=actor)
    changed = 0
    for account_id in await repository.accounts_with_policy_owners(uow.conn):
        changed += await ownership.apply_policy(uow, account_id=account_id, actor=actor)
    return changed


async def set_risk_weights(uow: UnitOfWork, *, value: Document, actor: str, horizon: Horizon) -> int:
    """The new risk weights; returns how many open renewals were re-assessed."""
    await put_setting(uow, key="risk_weights", value=value, actor=actor)
    return await reassess(uow, account_ids=None, horizon=horizon)
