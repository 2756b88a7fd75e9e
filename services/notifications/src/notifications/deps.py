"""Request dependencies: the bearer token, the runtime (pool, settings, secret box)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Header, Request

from bellwether_shared.roles import Caller, KeyRing
from bellwether_shared.secretbox import SecretBox
from notifications.settings import NotificationsSettings


@dataclass(frozen=True)
class Runtime:
    settings: NotificationsSettings
    pool: asyncpg.Pool
    box: SecretBox
    keys: KeyRing

    @classmethod
    def build(cls, settings: NotificationsSettings, pool: asyncpg.Pool) -> Runtime:
        keys = KeyRing(settings.api_keys, legacy_admin_token=settings.api_token.get_secret_value())
        return cls(settings, pool, settings.box(), keys)


async def reader(request: Request, authorization: Annotated[str | None, Header()] = None) -> Runtime:
    rt: Runtime = request.app.state.runtime
    rt.keys.authorise(authorization, "read")
    return rt


async def configurer(request: Request, authorization: Annotated[str | None, Header()] = None) -> Runtime:
    rt: Runtime = request.app.state.runtime
    rt.keys.authorise(authorization, "configure")
    return rt


@dataclass(frozen=True)
class Acting:
    """A person acting on their own work (tasks): the runtime and who they are (actor, role)."""

    rt: Runtime
    caller: Caller


async def writer(request: Request, authorization: Annotated[str | None, Header()] = None) -> Acting:
    rt: Runtime = request.app.state.runtime
    return Acting(rt, rt.keys.authorise(authorization, "write"))


RuntimeDep = Annotated[Runtime, Depends(reader)]  # reads: viewer
WriterDep = Annotated[Acting, Depends(writer)]  # tasks: csm (their own), vp_cs, admin
ConfigDep = Annotated[Runtime, Depends(configurer)]  # alert rules, people, destinations, replays: admin
