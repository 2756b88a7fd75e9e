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
from ingest import schemas, source_config, source_repository as sources
from ingest.admin_api import no_source
from ingest.api import ERRORS, answer, rate_limit
from ingest.auth import header_key, signing_secret
from ingest.body import read_bytes
from ingest.deps import Configurer, Public, Reader, Runtime
from ingest.domain.adapters import Mapped, registry
from ingest.domain.adapters.kinds import ADAPTERS, Adapter, Inbound
from ingest.domain.errors import Unauthorised, WrongSource
from ingest.domain.normalise import Rejection
from ingest.signals import accept_signals
from ingest.source_repository import Source

router = APIRouter(prefix="/v1", tags=["webhooks"])


def _inbound(request: Request, wire: bytes, raw: bytes) -> Inbound:
    query = f"?{request.url.query}" if request.url.query else ""
    return Inbound(
        method=request.method,
        url=str(request.url),
        path_and_query=request.url.path + query,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
        wire=wire,
        body=raw,
        now=utcnow(),
    )


async def _source(rt: Runtime, req: Inbound, source_id: str) -> tuple[Source, Adapter | None]:
    """The source, authenticated by its signing secret (when it has one and its kind signs) or its key."""
    source = await rt.auth.by_id(source_id)
    adapter = ADAPTERS.get(source.kind) if source is not None else None
    if source is not None and adapter is not None and source.signing_secret is not None and adapter.signs:
        adapter.verify(signing_secret(rt.box, source), req, source.config)
        return source, adapter
    key = header_key(req.headers, rt.settings.write_key_headers) or req.query.get("key")
    keyed = await rt.auth.authenticate(key)
    if keyed.id != source_id:
        raise Unauthorised("unauthorized", "this write key belongs to another source")
    return keyed, ADAPTERS.get(keyed.kind)


def _items(mapped: list[Mapped]) -> list[Any]:
    return [
        m.signal
        if m.problem is None
        else Rejection(i, m.message_id, m.problem.field, m.problem.reason, m.payload, "not_mapped")
        for i, m in enumerate(mapped)
    ]


def _limit(rt: Runtime, source: Source, adapter: Adapter, count: int) -> None:
    try:
        rate_limit(rt, source, count)
    except ApiError as exc:
        if exc.status == 429 and exc.headers:
            exc.headers = {**exc.headers, "Retry-After": adapter.retry_after(int(exc.headers["Retry-After"]))}
        raise


@router.post(
    "/webhooks/{source_id}",
    response_model=schemas.Accepted,
    responses=ERRORS | {401: {"model": schemas.Error}, 403: {"model": schemas.Error}},
    summary="HubSpot, Salesforce, Zendesk or Intercom webhook, mapped to signals by the source's adapter",
)
async def webhook(source_id: str, request: Request, rt: Public) -> Response:
    wire, raw = await read_bytes(request, max_bytes=rt.settings.max_request_bytes)
    req = _inbound(request, wire, raw)
    source, adapter = await _source(rt, req, source_id)
    if adapter is None:
        raise WrongSource("not_a_webhook_source", "source_id: an api source; send to /v1/destination instead")
    config = registry.resolved(source.kind, source.config)
    mapped = adapter.map(adapter.parse(req, config), config, req)
    rt.intake.ready()
    _limit(rt, source, adapter, max(1, len(mapped)))
    outcome = await accept_signals(
        rt.intake,
        source_id=source.id,
        grant=source.grant,
        request_id=str(uuid.uuid4()),
        items=_items(mapped),
        endpoint=f"webhook:{source.kind}",
    )
    own = adapter.answer()
    return Response(own.body, media_type=own.media_type) if own is not None else answer(outcome)


def _config_out(src: Source) -> dict[str, Any]:
    return {"kind": src.kind, "config": src.config, "effective": registry.resolved(src.kind, src.config)}


@router.get("/sources/{source_id}/config", response_model=schemas.SourceConfigOut, tags=["admin"])
async def get_config(source_id: str, acting: Reader) -> dict[str, Any]:
    rt = acting.rt
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
async def put_config(source_id: str, body: dict[str, Any], acting: Configurer) -> JSONResponse:
    rt = acting.rt
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
        src = await source_config.set_config(conn, source_id=source_id, config=body)
    assert src is not None
    rt.auth.forget(source_id)
    return JSONResponse(_config_out(src))
