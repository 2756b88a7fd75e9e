"""Request dependencies: the bearer token, the runtime (pool, settings, secret box)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Header, Request

from bellwether_shared.http import check_bearer
from notifications.secretbox import SecretBox
from notifications.settings import NotificationsSettings


@dataclass(frozen=True)
class Runtime:
    settings: NotificationsSettings
    pool: asyncpg.Pool
    box: SecretBox


def authorised(request: Request, authorization: Annotated[str | None, Header()] = None) -> Runtime:
    rt: Runtime = request.app.state.runtime
    check_bearer(authorization, rt.settings.api_token.get_secret_value())
    return rt


RuntimeDep = Annotated[Runtime, Depends(authorised)]
