"""Request dependencies: the bearer token, the runtime (pool, settings, secret box)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Header, Request

from bellwether_shared.http import ApiError
from notifications.secretbox import SecretBox
from notifications.settings import NotificationsSettings


@dataclass(frozen=True)
class Runtime:
    settings: NotificationsSettings
    pool: asyncpg.Pool
    box: SecretBox


def authorised(request: Request, authorization: Annotated[str | None, Header()] = None) -> Runtime:
    rt: Runtime = request.app.state.runtime
    scheme, _, token = (authorization or "").partition(" ")
    expected = rt.settings.api_token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
        raise ApiError(
            401, "unauthorized", "send 'Authorization: Bearer <API token>'", headers={"WWW-Authenticate": "Bearer"}
        )
    return rt


RuntimeDep = Annotated[Runtime, Depends(authorised)]
