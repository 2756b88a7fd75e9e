"""A request-size cap applied before routing and authentication (pure ASGI middleware): a body over
``max_bytes`` is answered 413 without the application seeing it. A declared ``Content-Length`` is
checked at once; a chunked body is read up to the cap (never further) and handed on only if it fits.

A refused body is drained (read and discarded, never kept) up to ``drain_bytes`` before the answer, so
the client, still sending, reads a clean 413 instead of a connection reset; beyond that the connection
is simply closed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int, drain_bytes: int | None = None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.drain_bytes = drain_bytes if drain_bytes is not None else max(8 * max_bytes, 16 * 1024 * 1024)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                if declared <= self.drain_bytes:
                    await self._drain(receive, 0)
                await self._refuse(send, f"body: {declared} bytes; the limit is {self.max_bytes}")
                return
            await self.app(scope, receive, send)  # the server enforces the declared length
            return
        chunks: list[Message] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                chunks.append(message)
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                if message.get("more_body"):
                    await self._drain(receive, size)
                await self._refuse(send, f"body: more than {self.max_bytes} bytes (the limit)")
                return
            chunks.append(message)
            if not message.get("more_body"):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)

    async def _drain(self, receive: Receive, size: int) -> None:
        """Read and discard the rest of the body, up to ``drain_bytes`` in all."""
        while size <= self.drain_bytes:
            message = await receive()
            if message["type"] != "http.request":
                return
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                return

    async def _refuse(self, send: Send, message: str) -> None:
        body = orjson.dumps({"code": "request_too_large", "message": message})
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
