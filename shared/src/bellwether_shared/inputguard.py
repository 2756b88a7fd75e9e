"""Values no route can store, refused before routing with a 422 naming the field: a NUL character or a
lone UTF-16 surrogate in any string or field name (PostgreSQL text and jsonb cannot hold them) and
integers beyond 64 bits (PostgreSQL bigint cannot).
A pure ASGI middleware; the body is parsed only when its raw bytes show one of them, so the hot path
pays a byte search, not a second parse."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import orjson

from bellwether_shared.bodylimit import ASGIApp, Message, Receive, Scope, Send

_BIG_INT = re.compile(rb"(?<![\d.eE+-])-?\d{19,}(?![\d.eE])")  # 19+ digits: may exceed int64
_ESCAPES = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]")  # a NUL, or a UTF-16 surrogate (maybe lone), escaped
_LONE = re.compile("[\ud800-\udfff]")  # what a JSON parser leaves of a surrogate without its pair
INT64 = (-(2**63), 2**63 - 1)


_ASCII_INT = re.compile(r"-?[0-9]+")


def _too_big(text: str) -> bool:
    """An ASCII integer beyond 64 bits (``isdigit`` would also take '³', which ``int`` refuses)."""
    if not _ASCII_INT.fullmatch(text):
        return False
    digits = len(text.lstrip("-").lstrip("0"))
    return digits > 19 or (digits == 19 and not INT64[0] <= int(text) <= INT64[1])


def _printable(name: str) -> str:
    """A field name as an answer can carry it (a lone surrogate as its escape)."""
    return name.encode("utf-8", "backslashreplace").decode() if _LONE.search(name) else name


def problems_in(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field, reason) for every unstorable value in a decoded JSON document."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "body", "contains a NUL character"
        elif _LONE.search(value):
            yield path or "body", "contains a lone UTF-16 surrogate (not a character)"
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            yield path or "body", "is beyond the 64-bit integer range"
    elif isinstance(value, dict):
        for k, v in value.items():
            name = f"{path}.{_printable(str(k))}".lstrip(".")
            if "\x00" in str(k):
                yield name, "the field name contains a NUL character"
            elif _LONE.search(str(k)):
                yield name, "the field name contains a lone UTF-16 surrogate (not a character)"
            yield from problems_in(v, name)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from problems_in(v, f"{path}[{i}]")


class InputGuard:
    def __init__(self, app: ASGIApp, *, unguarded_bodies: tuple[str, ...] = ()) -> None:
        self.app, self.unguarded_bodies = app, unguarded_bodies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = _in_target(scope)
        if found:
            await _refuse(send, *found)
            return
        if scope.get("path", "").startswith(self.unguarded_bodies) and self.unguarded_bodies:
            await self.app(scope, receive, send)
            return
        chunks: list[Message] = []
        while True:  # the body is bounded by BodyLimit, which runs first
            message = await receive()
            chunks.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        body = b"".join(m.get("body", b"") for m in chunks if m["type"] == "http.request")
        if _ESCAPES.search(body) or _BIG_INT.search(body):
            try:  # the standard parser, as the routes' (it keeps a lone surrogate, which orjson refuses)
                first = next(problems_in(json.loads(body)), None)
            except (ValueError, RecursionError):
                first = None  # not JSON: the route says so
            if first:
                await _refuse(send, *first)
                return

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)


def _in_target(scope: Scope) -> tuple[str, str] | None:
    path: str = scope.get("path", "")
    if "\x00" in path:
        return "path", "contains a NUL character"
    for segment in path.split("/"):
        if _too_big(segment):
            return "path", f"'{segment[:30]}' is beyond the 64-bit integer range"
    for name, value in parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"), keep_blank_values=True):
        if "\x00" in value or "\x00" in name:
            return name, "contains a NUL character"
        if _too_big(value):
            return name, "is beyond the 64-bit integer range"
    return None


async def _refuse(send: Send, field: str, reason: str) -> None:
    body = orjson.dumps(
        {"code": "validation_error", "message": f"{field}: {reason}", "errors": [{"field": field, "reason": reason}]}
    )
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
