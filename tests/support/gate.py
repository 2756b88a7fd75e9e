"""A real HTTP relay in front of a service that lets ``open_for`` requests through and holds every later one
(no answer) until it stops: a test interrupts a client at a point it controls, whatever the machine's speed."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
from aiohttp import web


class Gate:
    def __init__(self, target: str, *, open_for: int) -> None:
        self.target, self.open_for = target.rstrip("/"), open_for
        self.passed = 0
        self.holding = asyncio.Event()  # a request beyond open_for arrived and is held
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def _relay(self, request: web.Request) -> web.StreamResponse:
        if self.passed >= self.open_for:
            self.holding.set()
            await self._release.wait()
            raise web.HTTPServiceUnavailable(text="the gate closed")
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with self._session.request(
            request.method, self.target + request.path_qs, data=body, headers=headers
        ) as answer:
            payload = await answer.read()
            self.passed += 1
            return web.Response(body=payload, status=answer.status, content_type=answer.content_type)

    async def __aenter__(self) -> Gate:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._relay)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()
