"""Ingest as a destination of a customer-data pipeline: Segment's Webhooks destinations (Classic, one POST
per event; Actions, optionally batched as a top-level JSON array) and RudderStack's Webhook / HTTP
destinations deliver here with nothing but a URL and a header.

One endpoint takes a single message or an array of mixed types, as those senders send them (the
standard spec: track, identify, group, page, screen, alias; and ``delete``, a user's deletion request).
The write key comes as ``Authorization`` (Bearer, or Basic with the key as user name) or in a header
named in ``WRITE_KEY_HEADERS``; a source with a signing secret also needs Segment's ``X-Signature``
(hex HMAC-SHA1 of the body). Answers follow what these senders retry on: 200 once accepted (invalid
events of an array are listed, kept in the rejected list, and not worth a retry), 400 for a single
invalid event, 429 with Retry-After when over the source's rate, 503 with Retry-After only when Kafka
did not acknowledge; their retries carry the same messageId and change nothing."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request

from bellwether_shared.http import ApiError, JSONResponse
from ingest import schemas
from ingest.api import ERRORS, answer, rate_limit, single_rejected
from ingest.auth import header_key, signing_secret
from ingest.body import parse_json, read_bytes
from ingest.deletion import delete_user
from ingest.deps import Public, Runtime
from ingest.domain import scopes, signatures
from ingest.source_repository import Source
from ingest.tracking import Batch, accept_messages

router = APIRouter(prefix="/v1", tags=["destinations"])


def check_signature(rt: Runtime, source: Source, bodies: tuple[bytes, bytes], header: str | None) -> None:
    """A source with a signing secret accepts only requests signed with it (Segment's X-Signature)."""
    if source.signing_secret is None:
        return
    if not signatures.segment_ok(signing_secret(rt.box, source), bodies, header):
        raise ApiError(
            401,
            "invalid_signature",
            "X-Signature: missing or not the HMAC-SHA1 of the body with this source's signing secret",
        )


def _items(body: Any, limit: int) -> list[Any]:
    if isinstance(body, dict):
        return [body]
    if not isinstance(body, list):
        raise ApiError(400, "invalid_body", "body: must be a message (JSON object) or an array of messages")
    if len(body) > limit:
        raise ApiError(413, "batch_too_large", f"body: {len(body)} messages; the limit is {limit}")
    return body


async def _deletion(rt: Runtime, source: Source, body: dict[str, Any]) -> JSONResponse:
    """Segment's deletion request: the user is forgotten everywhere (not suppressed: that is an admin's
    call). A retry of the same messageId is the same request."""
    user_id = body.get("userId")
    if not isinstance(user_id, str | int) or isinstance(user_id, bool) or not str(user_id).strip():
        raise ApiError(400, "invalid_event", "userId: is required for delete", field="userId")
    if (missing := source.grant.missing(scopes.IDENTITY)) is not None:
        raise ApiError(403, "missing_scope", f"type: this write key lacks the scope '{missing}'", field="type")
    message_id = body.get("messageId") if isinstance(body.get("messageId"), str) else None
    await delete_user(
        rt.intake,
        user_id=str(user_id)[:255],
        contact_ids=(),
        requested_by=f"source:{source.id}",
        suppress=False,
        source_id=source.id,
        message_id=message_id,
    )
    return JSONResponse({"success": True, "accepted": 0, "unattributed": 0, "deleted": 1, "rejected": []})


@router.post(
    "/destination",
    response_model=schemas.Accepted,
    responses=ERRORS | {401: {"model": schemas.Error, "description": "unknown key or bad X-Signature"}},
    summary="Segment / RudderStack webhook destination: one message or an array of mixed types",
)
async def destination(request: Request, rt: Public) -> JSONResponse:
    wire, raw = await read_bytes(request, max_bytes=rt.settings.max_request_bytes)
    source = await rt.auth.authenticate(header_key(request.headers, rt.settings.write_key_headers))
    check_signature(rt, source, (wire, raw), request.headers.get("x-signature"))
    body = parse_json(raw)
    if isinstance(body, dict) and body.get("type") == "delete":
        return await _deletion(rt, source, body)
    items = _items(body, rt.settings.max_batch_events)
    rt.intake.ready()
    rate_limit(rt, source, len(items))
    outcome = await accept_messages(
        rt.intake,
        source_id=source.id,
        grant=source.grant,
        endpoint="destination",
        request_id=str(uuid.uuid4()),
        batch=Batch(items),
        plan=source.plan,
    )
    if isinstance(body, dict) and outcome.rejections:
        raise single_rejected(outcome.rejections[0])
    return answer(outcome)
