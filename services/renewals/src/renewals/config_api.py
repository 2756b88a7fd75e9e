"""Company-wide configuration: ownership policy, capacity per tier, churn rates (admin role)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from bellwether_shared.http import ApiError
from bellwether_shared.tiers import Tiers
from renewals import configuration, repository, schemas
from renewals.deps import Configurer, Reader, transaction
from renewals.domain import risk

router = APIRouter(prefix="/v1", tags=["configuration"], responses={401: {"description": "missing or unknown API key"}})


async def _get(caller: Reader, key: str) -> dict[str, Any]:
    async with caller.rt.pool.acquire() as conn:
        return await repository.get_setting(conn, key=key)


@router.get("/policy")
async def get_policy(caller: Reader) -> dict[str, Any]:
    return await _get(caller, "policy")


@router.put("/policy")
async def put_policy(body: schemas.PolicyIn, caller: Configurer) -> dict[str, Any]:
    """Replace the ownership policy; open opportunities not assigned by hand are re-decided under it."""
    value = body.model_dump(mode="json")
    async with transaction(caller) as uow:
        changed = await configuration.set_policy(uow, value=value, actor=caller.actor)
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
    async with transaction(caller) as uow:
        changed = await configuration.set_risk_weights(
            uow, value=value, actor=caller.actor, horizon=caller.rt.settings.horizon()
        )
    return {**asdict(risk.Weights(**value)), "opportunities_reassessed": changed}


@router.get("/capacity")
async def get_capacity(caller: Reader) -> dict[str, Any]:
    """Accounts one owner can carry per tier: the tier vocabulary's (`TIERS`), overridden here."""
    return {"tiers": capacity(caller.rt.settings.tiers, await _get(caller, "capacity"))}


@router.put("/capacity")
async def put_capacity(body: schemas.CapacityIn, caller: Configurer) -> dict[str, Any]:
    tiers = caller.rt.settings.tiers
    unknown = sorted(t for t in body.tiers if tiers.name(t) is None)
    if unknown:
        raise ApiError(
            422,
            "validation_error",
            f"tiers.{unknown[0]}: not one of the tiers {sorted(tiers.policies)}",
            errors=[{"field": f"tiers.{t}", "reason": "unknown tier"} for t in unknown],
        )
    value = {tiers.name(t) or t: n for t, n in body.tiers.items()}
    async with transaction(caller) as uow:
        await configuration.put_setting(uow, key="capacity", value=value, actor=caller.actor)
    return {"tiers": capacity(tiers, value)}


def capacity(tiers: Tiers, overrides: dict[str, Any]) -> dict[str, int]:
    return tiers.capacity() | {k: int(v) for k, v in overrides.items()}


@router.get("/forecast/churn-rates")
async def get_churn_rates(caller: Reader) -> dict[str, Any]:
    return await _get(caller, "churn_rates")


@router.put("/forecast/churn-rates")
async def put_churn_rates(body: schemas.ChurnRatesIn, caller: Configurer) -> dict[str, Any]:
    async with transaction(caller) as uow:
        await configuration.put_setting(uow, key="churn_rates", value=body.model_dump(), actor=caller.actor)
    return body.model_dump()


@router.get("/forecast/exposure-churn-rates")
async def get_exposure_churn_rates(caller: Reader) -> dict[str, Any]:
    return await _get(caller, "exposure_churn_rates")


@router.put("/forecast/exposure-churn-rates")
async def put_exposure_churn_rates(body: schemas.ExposureChurnRatesIn, caller: Configurer) -> dict[str, Any]:
    async with transaction(caller) as uow:
        await configuration.put_setting(uow, key="exposure_churn_rates", value=body.model_dump(), actor=caller.actor)
    return body.model_dump()
