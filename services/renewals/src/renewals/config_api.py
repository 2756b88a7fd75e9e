"""Company-wide configuration: ownership policy, capacity per tier, churn rates (admin role)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from bellwether_shared.envelope import utcnow
from renewals import ownership, repository, schemas
from renewals.deps import Configurer, Reader, transaction
from renewals.domain import risk
from renewals.reassess import reassess

router = APIRouter(prefix="/v1", tags=["configuration"], responses={401: {"description": "missing or unknown API key"}})


async def _get(caller: Reader, key: str) -> dict[str, Any]:
    async with caller.pool.acquire() as conn:
        return await repository.get_setting(conn, key=key)


@router.get("/policy")
async def get_policy(caller: Reader) -> dict[str, Any]:
    return await _get(caller, "policy")


@router.put("/policy")
async def put_policy(body: schemas.PolicyIn, caller: Configurer) -> dict[str, Any]:
    """Replace the ownership policy; open opportunities not assigned by hand are re-decided under it."""
    value = body.model_dump(mode="json")
    async with transaction(caller) as conn:
        await repository.put_setting(conn, key="policy", value=value, actor=caller.actor)
        accounts = await conn.fetch(
            "SELECT DISTINCT account_id FROM opportunities WHERE stage <> 'closed' AND NOT owner_manual"
        )
        changed = 0
        for a in accounts:
            changed += await ownership.apply_policy(conn, account_id=a["account_id"], actor=caller.actor, now=utcnow())
    return {**value, "opportunities_reassigned": changed}


@router.get("/risk/weights")
async def get_risk_weights(caller: Reader) -> dict[str, Any]:
    """The points each risk factor adds and the threshold of "at risk", as in effect (defaults included)."""
    stored = await _get(caller, "risk_weights")
    return asdict(risk.Weights(**stored))


@router.put("/risk/weights")
async def put_risk_weights(body: schemas.RiskWeightsIn, caller: Configurer) -> dict[str, Any]:
    """Replace the company's risk weights (fields left out: defaults); every open renewal is re-assessed
    at once, and those that enter or leave risk are announced."""
    value = body.model_dump(exclude_none=True)
    async with transaction(caller) as conn:
        await repository.put_setting(conn, key="risk_weights", value=value, actor=caller.actor)
        changed = await reassess(conn, account_ids=None, now=utcnow(), trend_days=caller.settings.health_trend_days)
    return {**asdict(risk.Weights(**value)), "opportunities_reassessed": changed}


@router.get("/capacity")
async def get_capacity(caller: Reader) -> dict[str, Any]:
    return {"tiers": await _get(caller, "capacity")}


@router.put("/capacity")
async def put_capacity(body: schemas.CapacityIn, caller: Configurer) -> dict[str, Any]:
    async with transaction(caller) as conn:
        await repository.put_setting(conn, key="capacity", value=body.tiers, actor=caller.actor)
    return {"tiers": body.tiers}


@router.get("/forecast/churn-rates")
async def get_churn_rates(caller: Reader) -> dict[str, Any]:
    return await _get(caller, "churn_rates")


@router.put("/forecast/churn-rates")
async def put_churn_rates(body: schemas.ChurnRatesIn, caller: Configurer) -> dict[str, Any]:
    async with transaction(caller) as conn:
        await repository.put_setting(conn, key="churn_rates", value=body.model_dump(), actor=caller.actor)
    return body.model_dump()
