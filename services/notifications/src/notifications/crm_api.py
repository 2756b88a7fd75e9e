"""CRM write-back, configured by the admin like the inbound sources: destinations (HubSpot, Salesforce)
with their token (sealed at rest, never shown again) and field names; what each has written, is
waiting to write or failed to write, per account; a resync; and the accounts' CRM record ids."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter

from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import page
from notifications import crm
from notifications.crm_schemas import (
    HUBSPOT_API,
    CrmDestinationIn,
    CrmDestinationOut,
    CrmDestinationPatch,
    CrmRecordsIn,
    ResyncIn,
)
from notifications.deps import Configurer, Reader
from notifications.domain import crm as policy
from notifications.sender import refusal
from notifications.settings import NotificationsSettings

router = APIRouter(
    prefix="/v1/crm", tags=["crm write-back"], responses={401: {"description": "missing or wrong token"}}
)


def _invalid(field: str, reason: str) -> ApiError:
    return ApiError(422, "validation_error", f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


def _fields(kind: policy.Kind, overrides: dict[str, str]) -> dict[str, str]:
    try:
        return policy.fields_for(kind, overrides)
    except ValueError as exc:
        field, _, reason = str(exc).partition(": ")
        raise _invalid(field, reason) from None


async def _reachable(settings: NotificationsSettings, base_url: str) -> None:
    if why := await refusal(base_url, settings):
        raise _invalid("base_url", why)


@router.post("/destinations", status_code=201, summary="Write scores back to a HubSpot portal or Salesforce org")
async def create(body: CrmDestinationIn, acting: Configurer) -> dict[str, Any]:
    """Every account the service knows is written at once; later changes as they come, coalesced."""
    rt = acting.rt
    if body.kind == "salesforce" and body.base_url is None:
        raise _invalid("base_url", "required for Salesforce: the org's instance URL (https://…my.salesforce.com)")
    if body.kind == "hubspot" and body.api_version is not None:
        raise _invalid("api_version", "only for Salesforce")
    base_url = body.base_url or HUBSPOT_API
    fields = _fields(body.kind, body.fields)
    await _reachable(rt.settings, base_url)
    d = crm.NewDestination(
        name=body.name,
        kind=body.kind,
        base_url=base_url,
        token_sealed=rt.box.seal(body.token.get_secret_value()),
        fields=fields,
        api_version=body.api_version,
        coalesce_s=body.coalesce_s,
    )
    return _out(await crm.add(rt.pool, d=d))


@router.get("/destinations", summary="CRM destinations, each with what it has written and what waits")
async def listed(acting: Reader) -> dict[str, Any]:
    return {"destinations": [_out(d) for d in await crm.destinations(acting.rt.pool)]}


@router.get("/destinations/{destination_id}", summary="One CRM destination and its state")
async def one(destination_id: str, acting: Reader) -> dict[str, Any]:
    with _not_found():
        return _out((await crm.destinations(acting.rt.pool, destination_id=destination_id))[0])


@router.patch("/destinations/{destination_id}", summary="Change a CRM destination (a new token lifts a pause)")
async def change(destination_id: str, body: CrmDestinationPatch, acting: Configurer) -> dict[str, Any]:
    rt = acting.rt
    if body.base_url is not None:
        await _reachable(rt.settings, body.base_url)
    with _not_found():
        fields = (
            _fields(await crm.kind_of(rt.pool, destination_id=destination_id), body.fields) if body.fields else None
        )
        c = crm.DestinationChange(
            name=body.name,
            base_url=body.base_url,
            token_sealed=rt.box.seal(body.token.get_secret_value()) if body.token is not None else None,
            fields=fields,
            api_version=body.api_version,
            coalesce_s=body.coalesce_s,
            enabled=body.enabled,
        )
        return _out(await crm.change(rt.pool, destination_id=destination_id, c=c))


@router.delete("/destinations/{destination_id}", status_code=204, summary="Stop writing to a CRM")
async def delete(destination_id: str, acting: Configurer) -> None:
    with _not_found():
        await crm.remove(acting.rt.pool, destination_id=destination_id)


@router.get("/destinations/{destination_id}/records", summary="Per account: written, waiting, failing and why")
async def records(
    destination_id: str,
    acting: Reader,
    state: str | None = None,
    account_id: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    if state is not None and state not in crm.STATES:
        raise _invalid("state", f"one of {', '.join(crm.STATES)}")
    with _not_found():
        rows = await crm.records(
            acting.rt.pool,
            destination_id=destination_id,
            state=state,
            account_id=account_id,
            limit=limit,
            offset=offset,
        )
    return page(rows, limit=limit, offset=offset)


@router.post("/destinations/{destination_id}/resync", summary="Write accounts again now")
async def resync(destination_id: str, body: ResyncIn, acting: Configurer) -> dict[str, Any]:
    with _not_found():
        n = await crm.resync(
            acting.rt.pool, destination_id=destination_id, account_ids=body.account_ids, forget=body.forget
        )
    return {"queued": n}


@router.put("/accounts/{account_id}/records", summary="The account's record id in each CRM")
async def put_records(account_id: str, body: CrmRecordsIn, acting: Configurer) -> dict[str, Any]:
    ids = {k: v for k, v in body.model_dump().items() if v is not None}
    if not ids:
        raise _invalid("hubspot", "give a HubSpot company id or a Salesforce Account Id (or both)")
    return {"account_id": account_id, "records": await crm.set_records(acting.rt.pool, account_id=account_id, ids=ids)}


def _out(d: dict[str, Any]) -> dict[str, Any]:
    return CrmDestinationOut(**d).model_dump()


@contextmanager
def _not_found() -> Iterator[None]:
    try:
        yield
    except crm.NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
