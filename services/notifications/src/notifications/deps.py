"""Request dependencies: the bearer token, the runtime (pool, settings, secret box)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Header, Request

from bellwether_shared.roles import KeyRing
from notifications.secretbox import SecretBox
from notifications.settings import NotificationsSettings


@dataclass(frozen=True)
class Runtime:
    settings: NotificationsSettings
    pool: asyncpg.Pool
    box: SecretBox
    keys: KeyRing


def reader(request: Request, authorization: Annotated[str | None, Header()] = None) -> Runtime:
    rt: Runtime = request.app.state.runtime
    rt.keys.authorise(authorization, "read")
    return rt


def configurer(request: Request, authorization: Annotated[str | None, Header()] = None) -> Runtime:
    rt: Runtime = request.app.state.runtime
    rt.keys.authorise(authorization, "configure")
    return rt


RuntimeDep = Annotated[Runtime, Depends(reader)]  # reads: viewer
ConfigDep = Annotated[Runtime, Depends(configurer)]  # alert rules, people, destinations, replays: admin
