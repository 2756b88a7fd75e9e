"""Request dependencies: the runtime (settings, pool) behind the role check (``bellwether_shared.roles``):
``Reader`` for reads (viewer), ``Configurer`` for configuration (admin)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends

from bellwether_shared.roles import Acting, KeyRing, require
from health.settings import HealthSettings


@dataclass(frozen=True)
class Runtime:
    settings: HealthSettings
    pool: asyncpg.Pool
    keys: KeyRing

    @classmethod
    def build(cls, settings: HealthSettings, pool: asyncpg.Pool) -> Runtime:
        return cls(settings, pool, KeyRing(settings.api_keys, legacy_admin_token=settings.api_token.get_secret_value()))


Reader = Annotated[Acting[Runtime], Depends(require("read"))]  # scores, history, segments: viewer and up
Configurer = Annotated[Acting[Runtime], Depends(require("configure"))]  # scorecards, milestones, calibration: admin
