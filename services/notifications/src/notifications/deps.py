"""Request dependencies: the bearer token, the runtime (pool, settings, secret box)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends

from bellwether_shared.roles import Acting, KeyRing, require
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


Reader = Annotated[Acting[Runtime], Depends(require("read"))]  # reads: viewer
Writer = Annotated[Acting[Runtime], Depends(require("write"))]  # tasks: csm (their own), vp_cs, admin
Configurer = Annotated[Acting[Runtime], Depends(require("configure"))]  # rules, people, destinations, replays: admin
