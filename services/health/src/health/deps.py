"""Request dependencies: the runtime (settings, pool) behind the API token check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Header, Request

from bellwether_shared.http import check_bearer
from health.settings import HealthSettings


@dataclass(frozen=True)
class Runtime:
    settings: HealthSettings
    pool: asyncpg.Pool


def authorised(request: Request, authorization: Annotated[str | None, Header()] = None) -> Runtime:
    rt: Runtime = request.app.state.runtime
    check_bearer(authorization, rt.settings.api_token.get_secret_value())
    return rt


RuntimeDep = Annotated[Runtime, Depends(authorised)]
