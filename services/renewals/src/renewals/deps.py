"""Request dependencies: API keys and roles, one transaction per use case.

API keys and roles. Keys are configured as SHA-256 hashes; a request's key is hashed and looked
up. Roles: viewer reads; csm also writes and proposes rejections; vp_cs also decides rejections;
admin reads, writes and configures (policy, capacity, churn rates) but does not approve rejections,
which stay a VP of CS's decision."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
from fastapi import Depends

from bellwether_shared.http import ApiError
from bellwether_shared.roles import Acting, KeyRing, require
from bellwether_shared.uow import UnitOfWork
from renewals import repository
from renewals.domain import errors
from renewals.settings import RenewalsSettings


@dataclass(frozen=True)
class Runtime:
    settings: RenewalsSettings
    pool: asyncpg.Pool
    keys: KeyRing

    @classmethod
    def build(cls, settings: RenewalsSettings, pool: asyncpg.Pool) -> Runtime:
        return cls(settings, pool, KeyRing(settings.api_keys))


Caller = Acting[Runtime]  # who acts (actor, role) and the runtime (``caller.rt``)
Reader = Annotated[Caller, Depends(require("read"))]
Writer = Annotated[Caller, Depends(require("write"))]
Proposer = Annotated[Caller, Depends(require("propose"))]
Decider = Annotated[Caller, Depends(require("decide"))]
Configurer = Annotated[Caller, Depends(require("configure"))]


@contextlib.asynccontextmanager
async def transaction(caller: Caller) -> AsyncIterator[UnitOfWork]:
    """One unit of work (one transaction: state, audit trail, outbox); the use case's refusals become
    404 / 409 / 403 answers naming the field."""
    async with caller.rt.pool.acquire() as conn:
        try:
            async with conn.transaction(), repository.unit(conn) as uow:
                yield uow
        except errors.NotFound as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        except errors.Conflict as exc:
            raise ApiError(409, "conflict", str(exc)) from None
        except errors.Forbidden as exc:
            raise ApiError(403, "forbidden", str(exc)) from None


def plain(row: Any) -> dict[str, Any]:
    """A record as JSON-ready values (numeric columns as floats)."""
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in dict(row).items()}
