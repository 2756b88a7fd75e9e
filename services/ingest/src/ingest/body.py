"""Reading request bodies: size limits before and after gzip, JSON parsing with clear errors."""

from __future__ import annotations

import zlib
from typing import Any

from fastapi import Request

from bellwether_shared.http import ApiError
from ingest.domain.adapters.kinds import json_of


def too_large(limit: int) -> ApiError:
    return ApiError(413, "request_too_large", f"request body exceeds {limit} bytes")


async def read_bytes(request: Request, *, max_bytes: int) -> tuple[bytes, bytes]:
    """The body as received (what a sender signed) and decoded (gunzipped), each within ``max_bytes``."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        chunks.append(chunk)
    wire = raw = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, max_bytes + 1)
        except zlib.error as exc:
            raise ApiError(400, "invalid_gzip", f"body is not valid gzip: {exc}") from None
        if len(raw) > max_bytes or inflater.unconsumed_tail:
            raise too_large(max_bytes)
    elif encoding not in ("identity", ""):
        raise ApiError(415, "unsupported_encoding", f"Content-Encoding '{encoding}' is not supported; use gzip")
    if not raw:
        raise ApiError(400, "invalid_json", "request body is empty")
    return wire, raw


def parse_json(raw: bytes) -> Any:
    return json_of(raw)  # malformed: the domain's Invalid, a 400 invalid_json


async def read_json_object(request: Request, *, max_bytes: int) -> tuple[dict[str, Any], int]:
    """The body as a JSON object and its (decompressed) size in bytes."""
    _, raw = await read_bytes(request, max_bytes=max_bytes)
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "request body must be a JSON object")
    return body, len(raw)
