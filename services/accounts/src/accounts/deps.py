"""Request dependencies: the runtime (settings, pool) behind the role check (``bellwether_shared.roles``):
``Reader`` for reads (viewer). The account view has nothing to configure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends

from accounts.settings import AccountsSettings
from bellwether_shared.roles import Acting, KeyRing, require


@dataclass(frozen=True)
class Runtime:
    settings: AccountsSettings
    pool: asyncpg.Pool
    keys: KeyRing

    @classmethod
    def build(cls, settings: AccountsSettings, pool: asyncpg.Pool) -> Runtime:
        return cls(settings, pool, KeyRing(settings.api_keys, legacy_admin_token=settings.api_token.get_secret_value()))


Reader = Annotated[Acting[Runtime], Depends(require("read"))]  # the whole account, timeline, report: viewer and up
