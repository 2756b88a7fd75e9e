"""Real local receivers for delivery tests: an HTTP server (uvicorn, in a thread, on a loopback port)
that records every request and can be told to fail, redirect, stall or go down; and a real SMTP
server (aiosmtpd) that records every message."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller

from devkit.infra import localinfra


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int = 0  # what the receiver answered


@dataclass
class Receiver:
    """``status``: what to answer (a callable of the request count for schedules); ``delay_s``: stall."""

    port: int = field(default_factory=localinfra.free_port)
    status: int | Callable[[int], int] = 200
    delay_s: float = 0.0
    redirect_to: str | None = None
    requests: list[Request] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        req = Request(scope["path"], headers, body, time.time())
        self.requests.append(req)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        status, answer, out = self.respond(scope["method"], req)
        req.status = status
        await send({"type": "http.response.start", "status": status, "headers": answer})
        await send({"type": "http.response.body", "body": out})

    def respond(self, method: str, req: Request) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """The status, headers and body to answer ``req`` with (a subclass answers as its vendor does)."""
        status = self.status(len(self.requests)) if callable(self.status) else self.status
        extra = [(b"location", self.redirect_to.encode())] if self.redirect_to else []
        return status, [(b"content-type", b"text/plain"), *extra], b"ok"

    def start(self) -> Receiver:
        config = uvicorn.Config(
            self._app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", interface="asgi3"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not localinfra.port_open(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("receiver did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server, self._thread = None, None

    def ids(self) -> list[str]:
        return [r.headers.get("webhook-id", "") for r in self.requests]


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on a loopback port; ``messages`` are what it accepted."""

    def __init__(self) -> None:
        self.port = localinfra.free_port()
        self._box = _Mailbox()
        self._controller = Controller(self._box, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[Message]:
        return self._box.messages

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
