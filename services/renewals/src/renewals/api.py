"""Renewals API: contracts, opportunities (renewals and expansions), ownership, accounts, audit.
Thin: validate, call the use case in one transaction, shape the answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from bellwether_shared.envelope import utcnow
from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import cursor_page, page
from bellwether_shared.pricing import discount_pct
from renewals import (
    closing,
    contract_repository as contracts,
    opportunities,
    opportunity_repository as opps,
    ownership,
    repository,
    schemas,
)
from renewals.deps import Reader, Writer, plain, transaction
from renewals.domain import commands
from renewals.domain.lifecycle import add_months

router = APIRouter(prefix="/v1", tags=["renewals"], responses={401: {"description": "missing or unknown API key"}})


# ----------------------------------------------------------------------------- contracts


@router.put("/contracts/{contract_id}", status_code=200)
async def put_contract(contract_id: str, body: schemas.ContractIn, caller: Writer) -> dict[str, Any]:
    """Create or update a contract. Within `RENEWAL_LEAD_DAYS` of its end it gets its renewal opportunity."""
    if body.contract_id != contract_id:
        raise ApiError(
            422,
            "validation_error",
            "contract_id: differs from the path",
            errors=[{"field": "contract_id", "reason": "differs from the path"}],
        )
    c = commands.ContractTerms(
        contract_id=body.contract_id,
        account_id=body.account_id,
        start_date=body.start_date,
        end_date=body.end_date or add_months(body.start_date, body.term_months),
        term_months=body.term_months,
        arr=body.arr,
        list_price=body.list_price,
        discount_pct=discount_pct(arr=body.arr, list_price=body.list_price) if body.list_price else None,
        products=body.products,
        **commands.ContractTerms.discount_of(body.temporary_discount.model_dump() if body.temporary_discount else None),
    )
    s = caller.rt.settings
    async with transaction(caller) as uow:
        row = await opportunities.record_contract(uow, c=c, actor=caller.actor, horizon=s.horizon())
        renewal = await repository.renewal_of(uow.conn, contract_id=contract_id)
    return {**{k: v for k, v in plain(row).items() if k != "inserted"}, "renewal_opportunity_id": renewal}


@router.get("/contracts")
async def list_contracts(
    caller: Reader, account_id: str | None = None, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    async with caller.rt.pool.acquire() as conn:
        rows = await contracts.list_contracts(conn, account_id=account_id, limit=limit, offset=offset)
    return page([plain(r) for r in rows], limit=limit, offset=offset, legacy="contracts")


@router.get("/contracts/{contract_id}")
async def get_contract(contract_id: str, caller: Reader) -> dict[str, Any]:
    async with caller.rt.pool.acquire() as conn:
        row = await contracts.get_contract(conn, contract_id=contract_id)
    if row is None:
        raise ApiError(404, "not_found", f"contract_id: no contract '{contract_id}'")
    return plain(row)


# ----------------------------------------------------------------------------- opportunities


@router.get("/opportunities")
async def list_opportunities(
    caller: Reader,
    kind: Literal["renewal", "expansion"] | None = None,
    stage: Literal["upcoming", "in_progress", "committed", "closed"] | None = None,
    at_risk: bool | None = None,
    owner_id: str | None = None,
    account_id: str | None = None,
    within_days: Annotated[int | None, Query(ge=0, le=3650, description="renewing within this many days")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Opportunities by renewal date, filtered; each with its owner, risk level and reasons."""
    before = date.fromordinal(utcnow().date().toordinal() + within_days + 1) if within_days is not None else None
    async with caller.rt.pool.acquire() as conn:
        rows = await opps.list_opportunities(
            conn,
            kind=kind,
            stage=stage,
            at_risk=at_risk,
            owner_id=owner_id,
            account_id=account_id,
            renewing_before=before,
            limit=limit,
            offset=offset,
        )
    return page([_opportunity(r) for r in rows], limit=limit, offset=offset, legacy="opportunities")


def _opportunity(r: Any) -> dict[str, Any]:
    d = plain(r)
    if d.get("renewal_date") is not None:
        d["days_to_renewal"] = (d["renewal_date"] - utcnow().date()).days
    return d


@router.get("/opportunities/{opportunity_id}")
async def get_opportunity(opportunity_id: str, caller: Reader) -> dict[str, Any]:
    async with caller.rt.pool.acquire() as conn:
        row = await opps.get_opportunity(conn, opportunity_id=opportunity_id)
        if row is None:
            raise ApiError(404, "not_found", f"opportunity_id: no opportunity '{opportunity_id}'")
        history = await opps.ownership_history(conn, opportunity_id=opportunity_id)
    return {**_opportunity(row), "ownership_history": [dict(h) for h in history]}


@router.post("/opportunities", status_code=201)
async def create_expansion(body: schemas.ExpansionIn, caller: Writer) -> dict[str, Any]:
    """An upsell or cross-sell; the ownership policy picks its owner from its growth type."""
    async with transaction(caller) as uow:
        row = await opportunities.create_expansion(
            uow,
            account_id=body.account_id,
            growth_type=body.growth_type.value,
            arr=body.arr,
            close_by=body.close_by,
            actor=caller.actor,
        )
    return _opportunity(row)


@router.put("/opportunities/{opportunity_id}/owner")
async def reassign(opportunity_id: str, body: schemas.OwnerIn, caller: Writer) -> dict[str, Any]:
    async with transaction(caller) as uow:
        await opportunities.check_book(uow, opportunity_id=opportunity_id, actor=caller.actor, role=caller.role)
        row = await ownership.reassign(
            uow,
            opportunity_id=opportunity_id,
            owner_id=body.owner_id,
            role=body.role,
            reason=body.reason,
            actor=caller.actor,
        )
    return _opportunity(row)


@router.put("/opportunities/{opportunity_id}/stage")
async def set_stage(opportunity_id: str, body: schemas.StageIn, caller: Writer) -> dict[str, Any]:
    async with transaction(caller) as uow:
        await opportunities.check_book(uow, opportunity_id=opportunity_id, actor=caller.actor, role=caller.role)
        row = await opportunities.set_stage(uow, opportunity_id=opportunity_id, stage=body.stage, actor=caller.actor)
    return _opportunity(row)


@router.post("/opportunities/{opportunity_id}/close")
async def close(opportunity_id: str, body: schemas.CloseIn, caller: Writer) -> dict[str, Any]:
    """Record the outcome (renewed, expanded, downgraded, churned) and the ARR change; a churn or a
    downgrade says why (`reason`: price, value_not_realised, champion_left, product_gaps, budget,
    acquired, other). Anything but a churn rolls the contract forward into its next term."""
    async with transaction(caller) as uow:
        await opportunities.check_book(uow, opportunity_id=opportunity_id, actor=caller.actor, role=caller.role)
        s = caller.rt.settings
        row = await closing.close(
            uow,
            opportunity_id=opportunity_id,
            outcome=body.outcome,
            arr_change=body.arr_change,
            actor=caller.actor,
            reason=body.reason,
            note=body.note,
            horizon=s.horizon(),
            next_terms=closing.NextTerms(
                body.list_price, body.temporary_discount.model_dump() if body.temporary_discount else None
            ),
        )
    return _opportunity(row)


# ----------------------------------------------------------------------------- accounts, audit


@router.get("/accounts/{account_id}")
async def get_account(account_id: str, caller: Reader) -> dict[str, Any]:
    """The account as renewals sees it: owners, health projection, contracts and open opportunities."""
    async with caller.rt.pool.acquire() as conn:
        acc = await repository.get_account(conn, account_id=account_id)
        if acc is None:
            raise ApiError(404, "not_found", f"account_id: no account '{account_id}'")
        signed = await contracts.list_contracts(conn, account_id=account_id, limit=1000, offset=0)
        open_opps = await opps.list_opportunities(
            conn,
            kind=None,
            stage=None,
            at_risk=None,
            owner_id=None,
            account_id=account_id,
            renewing_before=None,
            limit=1000,
            offset=0,
        )
    return {
        **plain(acc),
        "contracts": [plain(c) for c in signed],
        "opportunities": [_opportunity(o) for o in open_opps],
    }


@router.put("/accounts/{account_id}/owners")
async def set_account_owners(account_id: str, body: schemas.AccountOwnersIn, caller: Writer) -> dict[str, Any]:
    """Assign the account's CSM, AE and renewal owner (the roles given); open opportunities follow the policy."""
    given = body.model_dump(exclude={"reason"}, exclude_unset=True)
    if not given:
        raise ApiError(
            422,
            "validation_error",
            "body: name at least one of csm, ae, renewal_owner",
            errors=[{"field": "body", "reason": "no role given"}],
        )
    async with transaction(caller) as uow:
        owners = await ownership.set_owners(
            uow, account_id=account_id, owners=given, reason=body.reason, actor=caller.actor
        )
    return {"account_id": account_id, **owners}


@router.get("/audit")
async def audit_trail(
    caller: Reader,
    request: Request,
    entity_type: Literal["contract", "opportunity", "review", "account", "setting"] | None = None,
    entity_id: str | None = None,
    limit: Limit = 100,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Who changed what, when (newest first; page with `before_id`)."""
    async with caller.rt.pool.acquire() as conn:
        rows = await repository.audit_trail(
            conn, entity_type=entity_type, entity_id=entity_id, limit=limit, before_id=before_id
        )
    return cursor_page([dict(r) for r in rows], limit=limit, legacy="entries")
