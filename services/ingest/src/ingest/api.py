"""Tracking API routes (track / identify / group / page / screen / alias / batch / import) and CS signals.

Thin: read the body, authenticate, rate-limit, hand over to ingest.tracking, answer.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from bellwether_shared.http import ApiError, JSONResponse, inline_defs
from ingest import schemas, signals, wire_schemas
from ingest.auth import write_key_from
from ingest.body import read_json_object
from ingest.deps import Public, Runtime
from ingest.domain.normalise import Rejection, parse_time
from ingest.source_repository import Source
from ingest.tracking import Batch, Outcome, accept_messages

router = APIRouter(prefix="/v1", tags=["tracking"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.Error, "description": "malformed JSON, a body that is not an object, or an invalid event"},
    401: {"model": schemas.Error, "description": "unknown or revoked write key"},
    413: {"model": schemas.Error, "description": "body over 500 KB (after gzip) or too many events"},
    429: {"model": schemas.Error, "description": "source over its rate limit; see Retry-After"},
    503: {"model": schemas.Error, "description": "Kafka did not acknowledge; retry after Retry-After"},
}


def _doc(model: type[BaseModel]) -> dict[str, Any]:
    """The documented request body (these routes read the raw body themselves, to reject event by event)."""
    schema = inline_defs(model.model_json_schema())
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


async def authenticated(request: Request, rt: Runtime) -> tuple[dict[str, Any], Source]:
    body, _ = await read_json_object(request, max_bytes=rt.settings.max_request_bytes)
    source = await rt.auth.authenticate(write_key_from(request.headers.get("authorization"), body))
    body.pop("writeKey", None)  # never stored or forwarded
    rt.intake.ready()
    return body, source


def rate_limit(rt: Runtime, source: Source, n: int) -> None:
    wait = rt.limiter.check(source.id, n, rate=source.rate_limit_eps, burst=source.burst)
    if wait:
        raise ApiError(
            429,
            "rate_limited",
            f"source '{source.id}' is over {source.rate_limit_eps} events/s",
            headers={"Retry-After": str(wait)},
        )


def answer(outcome: Outcome) -> JSONResponse:
    return JSONResponse(
        {
            "success": True,
            "accepted": outcome.accepted,
            "unattributed": outcome.unattributed,
            **({"suppressed": outcome.suppressed} if outcome.suppressed else {}),
            "rejected": [
                {"index": r.index, "messageId": r.message_id, "field": r.field, "reason": r.reason}
                for r in outcome.rejections
            ],
        }
    )


def single_rejected(r: Rejection) -> ApiError:
    return ApiError(
        403 if r.code in ("missing_scope", "account_not_allowed") else 400,
        r.code,
        f"{r.field or 'event'}: {r.reason}",
        field=r.field,
        reason=r.reason,
        messageId=r.message_id,
    )


def _single(call: str, model: type[BaseModel]) -> None:
    async def handler(request: Request, rt: Public) -> JSONResponse:
        body, source = await authenticated(request, rt)
        rate_limit(rt, source, 1)
        outcome = await accept_messages(
            rt.intake,
            source_id=source.id,
            grant=source.grant,
            endpoint=call,
            request_id=str(uuid.uuid4()),
            batch=Batch([body], default_type=call),
            plan=source.plan,
        )
        if outcome.rejections:
            raise single_rejected(outcome.rejections[0])
        return answer(outcome)

    router.add_api_route(
        f"/{call}",
        handler,
        methods=["POST"],
        name=call,
        summary=f"{call.capitalize()} call",
        response_model=schemas.Accepted,
        responses=ERRORS,
        openapi_extra=_doc(model),
    )


for _call, _model in (
    ("track", wire_schemas.TrackCall),
    ("identify", wire_schemas.IdentifyCall),
    ("group", wire_schemas.GroupCall),
    ("page", wire_schemas.PageCall),
    ("screen", wire_schemas.ScreenCall),
    ("alias", wire_schemas.AliasCall),
):
    _single(_call, _model)


def _batch_time(body: dict[str, Any]) -> datetime | None:
    try:
        return parse_time(body.get("sentAt"), "sentAt")
    except Exception as exc:  # noqa: BLE001 - _Invalid carries the reason
        raise ApiError(400, "invalid_body", f"sentAt: {exc}") from None


def _object_or_none(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        raise ApiError(400, "invalid_body", f"{name}: must be a JSON object")
    return value


async def batch(request: Request, rt: Public) -> JSONResponse:
    body, source = await authenticated(request, rt)
    items = body.get("batch")
    if not isinstance(items, list):
        raise ApiError(400, "invalid_body", "batch: is required and must be an array of events")
    if len(items) > rt.settings.max_batch_events:
        raise ApiError(
            413, "batch_too_large", f"batch: {len(items)} events; the limit is {rt.settings.max_batch_events}"
        )
    rate_limit(rt, source, len(items))
    sent = Batch(
        items,
        context=_object_or_none(body, "context"),
        integrations=_object_or_none(body, "integrations"),
        sent_at=_batch_time(body),
    )
    outcome = await accept_messages(
        rt.intake,
        source_id=source.id,
        grant=source.grant,
        endpoint=request.url.path.rsplit("/", 1)[-1],
        request_id=str(uuid.uuid4()),
        batch=sent,
        plan=source.plan,
    )
    return answer(outcome)


for _path in ("batch", "import"):
    router.add_api_route(
        f"/{_path}",
        batch,
        methods=["POST"],
        name=_path,
        summary="Batch of calls" if _path == "batch" else "Import (alias of batch)",
        response_model=schemas.Accepted,
        responses=ERRORS,
        openapi_extra=_doc(wire_schemas.BatchCall),
    )


@router.post(
    "/signals",
    tags=["signals"],
    response_model=schemas.Accepted,
    responses=ERRORS,
    openapi_extra=_doc(schemas.SignalBatch),
    summary="CS signals (account, NPS, tickets, contacts...)",
)
async def post_signals(request: Request, rt: Public) -> JSONResponse:
    """One signal, or ``{"batch": [...]}``; each is discriminated by ``type`` and validated strictly.
    Valid signals are accepted even when others in the batch are rejected."""
    body, source = await authenticated(request, rt)
    items = body["batch"] if isinstance(body.get("batch"), list) else [body]
    if len(items) > rt.settings.max_batch_events:
        raise ApiError(
            413, "batch_too_large", f"batch: {len(items)} signals; the limit is {rt.settings.max_batch_events}"
        )
    rate_limit(rt, source, len(items))
    outcome = await signals.accept_signals(
        rt.intake, source_id=source.id, grant=source.grant, request_id=str(uuid.uuid4()), items=items
    )
    if "batch" not in body and outcome.rejections:
        raise single_rejected(outcome.rejections[0])
    return answer(outcome)


__all__ = ["router"]
