"""CRM and support-desk webhooks (``POST /v1/webhooks/{source_id}``): the source's kind chooses the
adapter (HubSpot, Salesforce, Zendesk, Intercom), which maps the sender's documented payload to our
signals; they are then validated and published exactly as the signals API does. Every notification
that cannot be mapped is kept in the rejected list with the field and the reason.

Authentication: a source with a signing secret accepts only requests signed the sender's way (HubSpot
v3 with its timestamp, Zendesk with its timestamp, Intercom's X-Hub-Signature), within a 5-minute
window; a source without one needs its write key (``Authorization``, a ``WRITE_KEY_HEADERS`` header,
or ``?key=`` for senders that can only be given a URL, such as Salesforce outbound messages).
Admin: ``GET|PUT /v1/sources/{id}/config`` reads and sets the field mapping and the kind's settings."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bellwether_shared.envelope import utcnow
from bellwether_shared.http import ApiError, JSONResponse
from ingest import schemas, signatures
from ingest import source_repository as sources
from ingest.adapters import Mapped, desk, hubspot, registry, salesforce
from ingest.admin_api import AdminDep, ViewerDep, no_source
from ingest.api import ERRORS, answer, rate_limit
from ingest.auth import header_key, signing_secret
from ingest.body import parse_json, read_bytes
from ingest.deps import Runtime, RuntimeDep
from ingest.normalise import Rejection
from ingest.service import unavailable
from ingest.signals import accept_signals
from ingest.source_repository import Source

router = APIRouter(prefix="/v1", tags=["webhooks"])
_BAD_SIGNATURE = "missing or not made with this source's signing secret"


def _unauthorised(message: str, code: str = "unauthorized") -> ApiError:
    return ApiError(401, code, message)


def _signed_ok(rt: Runtime, source: Source, request: Request, wire: bytes) -> None:
    secret, h, now = signing_secret(rt.box, source), request.headers, utcnow()
    if source.kind == "hubspot":
        stamp = h.get("x-hubspot-request-timestamp")
        base = source.config.get("public_url")
        uri = (
            f"{base.rstrip('/')}{request.url.path}" + (f"?{request.url.query}" if request.url.query else "")
            if base
            else str(request.url)
        )
        ok = signatures.hubspot_ok(
            secret, method=request.method, uri=uri, body=wire, header=h.get("x-hubspot-signature-v3"), timestamp=stamp
        )
        header, fresh = "X-HubSpot-Signature-v3", signatures.fresh(stamp, now, millis=True)
    elif source.kind == "zendesk":
        stamp = h.get("x-zendesk-webhook-signature-timestamp")
        ok = signatures.zendesk_ok(secret, wire, h.get("x-zendesk-webhook-signature"), stamp)
        header, fresh = "X-Zendesk-Webhook-Signature", signatures.fresh(stamp, now)
    else:  # intercom (salesforce signs nothing: its sources authenticate with the key in the URL)
        ok, header, fresh = signatures.intercom_ok(secret, wire, h.get("x-hub-signature")), "X-Hub-Signature", True
    if not ok:
        raise _unauthorised(f"{header}: {_BAD_SIGNATURE}", "invalid_signature")
    if not fresh:
        raise _unauthorised("request timestamp: missing or more than 5 minutes away (a replay?)", "stale_request")


async def _source(rt: Runtime, request: Request, source_id: str, wire: bytes) -> Source:
    source = await rt.auth.by_id(source_id)
    if source is not None and source.signing_secret is not None and source.kind != "salesforce":
        _signed_ok(rt, source, request, wire)
        return source
    key = header_key(request.headers, rt.settings.write_key_headers) or request.query_params.get("key")
    keyed = await rt.auth.authenticate(key)
    if keyed.id != source_id:
        raise _unauthorised("this write key belongs to another source")
    return keyed


def _mapped(source: Source, raw: bytes, request: Request) -> list[Mapped]:
    config = registry.resolved(source.kind, source.config)
    if source.kind == "salesforce":
        try:
            message = salesforce.parse(raw)
        except salesforce.NotOutbound as exc:
            raise ApiError(400, "invalid_body", f"body: {exc}") from None
        expected = config.get("organization_id")
        if expected and message.organization_id != expected:
            raise ApiError(403, "organization_not_allowed", "OrganizationId: not this source's Salesforce org")
        return salesforce.map_message(message, config)
    body = parse_json(raw)
    if source.kind == "hubspot":
        return hubspot.map_payload(body, config, object_hint=request.query_params.get("object"))
    return (desk.map_zendesk if source.kind == "zendesk" else desk.map_intercom)(body, config)


def _items(mapped: list[Mapped]) -> list[Any]:
    return [
        m.signal
        if m.problem is None
        else Rejection(i, m.message_id, m.problem.field, m.problem.reason, m.payload, "not_mapped")
        for i, m in enumerate(mapped)
    ]


def _limit(rt: Runtime, source: Source, count: int) -> None:
    try:
        rate_limit(rt, source, count)
    except ApiError as exc:
        if exc.status == 429 and source.kind == "hubspot" and exc.headers:  # HubSpot reads Retry-After in ms
            exc.headers = {**exc.headers, "Retry-After": str(int(exc.headers["Retry-After"]) * 1000)}
        raise


@router.post(
    "/webhooks/{source_id}",
    response_model=schemas.Accepted,
    responses=ERRORS | {401: {"model": schemas.Error}, 403: {"model": schemas.Error}},
    summary="HubSpot, Salesforce, Zendesk or Intercom webhook, mapped to signals by the source's adapter",
)
async def webhook(source_id: str, request: Request, rt: RuntimeDep) -> Response:
    wire, raw = await read_bytes(request, max_bytes=rt.settings.max_request_bytes)
    source = await _source(rt, request, source_id, wire)
    if source.kind not in registry.KINDS:
        raise ApiError(409, "not_a_webhook_source", "source_id: an api source; send to /v1/destination instead")
    mapped = _mapped(source, raw, request)
    if not rt.kafka_ready:
        raise unavailable(rt, "event stream not connected yet")
    _limit(rt, source, max(1, len(mapped)))
    outcome = await accept_signals(
        rt,
        source_id=source.id,
        grant=source.grant,
        request_id=str(uuid.uuid4()),
        items=_items(mapped),
        endpoint=f"webhook:{source.kind}",
    )
    if source.kind == "salesforce":
        return Response(salesforce.ACK, media_type="text/xml; charset=utf-8")
    return answer(outcome)


def _config_out(src: Source) -> dict[str, Any]:
    return {"kind": src.kind, "config": src.config, "effective": registry.resolved(src.kind, src.config)}


@router.get("/sources/{source_id}/config", response_model=schemas.SourceConfigOut, tags=["admin"])
async def get_config(source_id: str, rt: ViewerDep) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        src = await sources.get_source(conn, source_id=source_id)
    if src is None:
        raise no_source(source_id)
    return _config_out(src)


@router.put(
    "/sources/{source_id}/config",
    response_model=schemas.SourceConfigOut,
    responses={404: {"model": schemas.Error}, 422: {"model": schemas.Error}},
    tags=["admin"],
    summary="Set a webhook source's field mapping and settings (replaces what was set; defaults fill the rest)",
)
async def put_config(source_id: str, body: dict[str, Any], rt: AdminDep) -> JSONResponse:
    async with rt.pool.acquire() as conn:
        src = await sources.get_source(conn, source_id=source_id)
        if src is None:
            raise no_source(source_id)
        if found := registry.problems(src.kind, body):
            listed = [{"field": p.field, "reason": p.reason} for p in found]
            raise ApiError(
                422,
                "invalid_config",
                f"{found[0].field}: {found[0].reason}",
                field=found[0].field,
                reason=found[0].reason,
                problems=listed,
            )
        src = await sources.set_config(conn, source_id=source_id, config=body)
    assert src is not None
    rt.auth.forget(source_id)
    return JSONResponse(_config_out(src))
