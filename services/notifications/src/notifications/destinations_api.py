"""Destinations (signed webhooks, chat webhooks, e-mail), subscriptions, the delivery log, replay,
signing-secret rotation and digests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter

from bellwether_shared.envelope import utcnow
from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import page
from notifications import (
    delivery_repository as dr,
    destination_repository as dests,
    digests,
    directory,
    repository,
    schemas,
)
from notifications.deps import Configurer, Reader
from notifications.domain import signing, urlguard
from notifications.sender import refusal

router = APIRouter(prefix="/v1", tags=["delivery"], responses={401: {"description": "missing or wrong token"}})


def _invalid(field: str, reason: str) -> ApiError:
    return ApiError(422, "validation_error", f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


@router.post("/destinations", status_code=201)
async def create_destination(body: schemas.DestinationIn, acting: Configurer) -> dict[str, Any]:
    """For a webhook, the answer holds its signing secret: shown once, store it now."""
    rt = acting.rt
    if body.owner_person_id:
        async with rt.pool.acquire() as conn:
            if await repository.get_person(conn, person_id=body.owner_person_id) is None:
                raise _invalid("owner_person_id", f"no person '{body.owner_person_id}' (PUT /v1/people/{{id}} first)")
    if body.kind in ("webhook", "chat") and (why := await refusal(body.target, rt.settings)):
        raise _invalid("target", why)
    secret = signing.new_secret() if body.kind == "webhook" else None
    now = utcnow().isoformat()
    stored = [{"sealed": rt.box.seal(secret), "created_at": now, "expires_at": None}] if secret else []
    target = body.target
    if body.kind == "chat":  # the URL is the credential: sealed at rest, shown masked everywhere
        stored = [{"sealed_url": rt.box.seal(body.target), "created_at": now}]
        target = urlguard.masked(body.target)
    d = dests.NewDestination(
        destination_id="dst_" + uuid.uuid4().hex[:16],
        name=body.name,
        kind=body.kind,
        target=target,
        secrets=stored,
        owner_person_id=body.owner_person_id,
    )
    async with rt.pool.acquire() as conn:
        row = await directory.add_destination(conn, destination=d)
    return {**dict(row), **({"signing_secret": secret} if secret else {})}


@router.get("/destinations")
async def list_destinations(acting: Reader, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = await dests.list_destinations(conn, limit=limit, offset=offset)
    return page([dict(r) for r in rows], limit=limit, offset=offset, legacy="destinations")


@router.get("/destinations/{destination_id}")
async def get_destination(destination_id: str, acting: Reader) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        row = await dests.get_destination(conn, destination_id=destination_id)
    if row is None:
        raise ApiError(404, "not_found", f"destination_id: no destination '{destination_id}'")
    out = {k: v for k, v in dict(row).items() if k != "secrets"}
    out["secrets"] = [
        {"created_at": s["created_at"], "expires_at": s.get("expires_at")} for s in row["secrets"] if "sealed" in s
    ]
    return out


@router.post("/destinations/{destination_id}/rotate-secret")
async def rotate_secret(destination_id: str, acting: Configurer) -> dict[str, Any]:
    """A new signing secret (shown once). The previous one keeps signing for `SECRET_OVERLAP_S`, so the
    receiver can switch without missing a delivery: meanwhile each delivery carries both signatures."""
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        row = await dests.get_destination(conn, destination_id=destination_id)
        if row is not None and row["kind"] != "webhook":
            raise ApiError(409, "conflict", "kind: only webhooks are signed")
        rotated = await directory.rotate_secret(
            conn,
            destination_id=destination_id,
            now=utcnow(),
            overlap_s=rt.settings.secret_overlap_s,
            seal=rt.box.seal,
        )
    if rotated is None:
        raise ApiError(404, "not_found", f"destination_id: no destination '{destination_id}'")
    secret, until = rotated
    return {"destination_id": destination_id, "signing_secret": secret, "previous_secret_signs_until": until}


@router.post("/destinations/{destination_id}/enable")
async def enable(destination_id: str, acting: Configurer) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        row = await directory.enable(conn, destination_id=destination_id)
    if row is None:
        raise ApiError(404, "not_found", f"destination_id: no destination '{destination_id}'")
    return {k: v for k, v in dict(row).items() if k != "secrets"}


@router.delete("/destinations/{destination_id}", status_code=204)
async def delete_destination(destination_id: str, acting: Configurer) -> None:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        if not await directory.delete_destination(conn, destination_id=destination_id):
            raise ApiError(404, "not_found", f"destination_id: no destination '{destination_id}'")


@router.post("/destinations/{destination_id}/replay")
async def replay_since(destination_id: str, body: schemas.ReplayIn, acting: Configurer) -> dict[str, Any]:
    """Send again every delivery to this destination created since `since` (same webhook-id)."""
    rt = acting.rt
    try:
        since = datetime.fromisoformat(body.since)
    except ValueError:
        raise _invalid("since", "not an ISO 8601 time") from None
    async with rt.pool.acquire() as conn:
        n = await directory.replay(conn, destination_id=destination_id, since=since)
    return {"destination_id": destination_id, "replayed": n}


@router.post("/subscriptions", status_code=201)
async def subscribe(body: schemas.SubscriptionIn, acting: Configurer) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        if await dests.get_destination(conn, destination_id=body.destination_id) is None:
            raise _invalid("destination_id", f"no destination '{body.destination_id}'")
        return dict(await directory.subscribe(conn, subscription=body))


@router.get("/subscriptions")
async def list_subscriptions(
    acting: Reader, destination_id: str | None = None, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = await dests.list_subscriptions(conn, destination_id=destination_id, limit=limit, offset=offset)
    return page([dict(r) for r in rows], limit=limit, offset=offset, legacy="subscriptions")


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def unsubscribe(subscription_id: str, acting: Configurer) -> None:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        if not await directory.unsubscribe(conn, subscription_id=subscription_id):
            raise ApiError(404, "not_found", f"subscription_id: no subscription '{subscription_id}'")


@router.get("/deliveries")
async def deliveries(
    acting: Reader,
    destination_id: str | None = None,
    status: Literal["pending", "succeeded", "failed"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = await dr.list_deliveries(conn, destination_id=destination_id, status=status, limit=limit, offset=offset)
    return page([dict(r) for r in rows], limit=limit, offset=offset, legacy="deliveries")


@router.get("/deliveries/{delivery_id}")
async def delivery(delivery_id: str, acting: Reader) -> dict[str, Any]:
    """A delivery and every attempt (status code, error, latency)."""
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        row = await dr.get_delivery(conn, delivery_id=delivery_id)
        if row is None:
            raise ApiError(404, "not_found", f"delivery_id: no delivery '{delivery_id}'")
        tries = await dr.attempts(conn, delivery_id=delivery_id)
    return {**dict(row), "attempts_log": [dict(t) for t in tries]}


@router.post("/deliveries/{delivery_id}/replay")
async def replay_one(delivery_id: str, acting: Configurer) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        if not await directory.replay(conn, delivery_ids=[delivery_id]):
            raise ApiError(404, "not_found", f"delivery_id: no delivery '{delivery_id}'")
    return {"delivery_id": delivery_id, "replayed": 1}


@router.post("/digests/run")
async def run_digests(acting: Configurer, recipient: str | None = None) -> dict[str, Any]:
    """Build digests now: those that are due, or everything waiting for `recipient`."""
    rt = acting.rt
    async with rt.pool.acquire() as conn, conn.transaction():
        made = await digests.run_due(conn, settings=rt.settings, now=utcnow(), recipient=recipient)
    return {"digests": made}
