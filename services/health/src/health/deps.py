"""Request dependencies: the runtime (settings, pool) behind the role check (``bellwether_shared.roles``):
``RuntimeDep`` for reads (viewer), ``ConfigDep`` for configuration (admin)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Header, Request

from bellwether_shared.roles import KeyRing
from health.settings import HealthSettings


@dataclass(frozen=True)
class Runtime:
    settings: HealthSettings
    pool: asyncpg.Pool
    keys: KeyRing

    @classmethod
    def build(cls, settings: HealthSettings, pool: asyncpg.Pool) -> Runtime:
        return cls(settings, pool, KeyRing(settings.api_keys, legacy_admin_token=settings.api_token.get_secret_value()))


async def reader(request: Request, authorization: Annotated[str | None, Header()] = None) -> Runtime:
    rt: Runtime = request.app.state.runtime
    rt.keys.authorise(authorization, "read")
    return rt


async def configurer(request: Request, authorization: Annotated[str | None, Header()] = None) -> Runtime:
    rt: Runtime = request.app.state.runtime
    rt.keys.authorise(authorization, "configure")
    return rt


RuntimeDep = Annotated[Runtime, Depends(reader)]
ConfigDep = Annotated[Runtime, Depends(configurer)]
