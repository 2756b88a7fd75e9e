"""Request dependencies: API keys and roles, one transaction per use case.

API keys and roles. Keys are configured as SHA-256 hashes; a request's key is hashed and looked
up. Roles: viewer reads; csm also writes and proposes rejections; vp_cs also decides rejections;
admin reads, writes and configures (policy, capacity, churn rates) but does not approve rejections,
which stay a VP of CS's decision."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Header, Request

from bellwether_shared.http import ApiError
from bellwether_shared.uow import UnitOfWork
from renewals import errors, repository
from renewals.settings import RenewalsSettings

PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "csm": frozenset({"read", "write", "propose"}),
    "vp_cs": frozenset({"read", "write", "propose", "decide"}),
    "admin": frozenset({"read", "write", "configure"}),
}


@dataclass(frozen=True)
class Runtime:
    settings: RenewalsSettings
    pool: asyncpg.Pool
    api_keys: dict[str, tuple[str, str]]  # SHA-256 of a key → (actor, role)

    @classmethod
    def build(cls, settings: RenewalsSettings, pool: asyncpg.Pool) -> Runtime:
        return cls(settings, pool, {k.token_sha256: (k.actor, k.role) for k in settings.api_keys})


@dataclass(frozen=True)
class Caller:
    actor: str
    role: str
    pool: asyncpg.Pool
    settings: RenewalsSettings


def _caller(request: Request, authorization: str | None) -> Caller:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401, "unauthorized", "send 'Authorization: Bearer <API key>'", headers={"WWW-Authenticate": "Bearer"}
        )
    rt: Runtime = request.app.state.runtime
    found = rt.api_keys.get(hashlib.sha256(token.strip().encode()).hexdigest())
    if found is None:
        raise ApiError(401, "unauthorized", "unknown API key", headers={"WWW-Authenticate": "Bearer"})
    return Caller(actor=found[0], role=found[1], pool=rt.pool, settings=rt.settings)


def require(permission: str) -> Callable[..., Caller]:
    def dependency(request: Request, authorization: Annotated[str | None, Header()] = None) -> Caller:
        caller = _caller(request, authorization)
        if permission not in PERMISSIONS[caller.role]:
            raise ApiError(403, "forbidden", f"role '{caller.role}' may not {permission}")
        return caller

    return dependency


Reader = Annotated[Caller, Depends(require("read"))]
Writer = Annotated[Caller, Depends(require("write"))]
Proposer = Annotated[Caller, Depends(require("propose"))]
Decider = Annotated[Caller, Depends(require("decide"))]
Configurer = Annotated[Caller, Depends(require("configure"))]


@contextlib.asynccontextmanager
async def transaction(caller: Caller) -> AsyncIterator[UnitOfWork]:
    """One unit of work (one transaction: state, audit trail, outbox); the use case's refusals become
    404 / 409 / 403 answers naming the field."""
    async with caller.pool.acquire() as conn:
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
