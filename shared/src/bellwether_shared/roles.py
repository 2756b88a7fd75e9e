"""One role model for every service's API. Keys are configured as SHA-256 hashes with an actor and a
role (``API_KEYS``); a request's Bearer key is hashed and looked up. Roles and what they may do:

* ``viewer`` reads;
* ``csm`` also writes (renewals: within their own book) and proposes deal rejections;
* ``vp_cs`` also decides rejections (the VP rule: never their own proposal);
* ``admin`` reads, writes and configures (scorecards, rules, destinations, sources, policy) but does
  not decide rejections, which stay a VP of CS's call.

A service's single legacy token (``ADMIN_TOKEN`` / ``API_TOKEN``) still works, as an admin key.
Every denial is a 403 naming a role that would be allowed."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, Protocol, TypeVar

from fastapi import Header, Request
from pydantic import BaseModel, Field

from bellwether_shared.http import ApiError

Role = Literal["viewer", "csm", "vp_cs", "admin"]
Permission = Literal["read", "write", "propose", "decide", "configure"]
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "csm": frozenset({"read", "write", "propose"}),
    "vp_cs": frozenset({"read", "write", "propose", "decide"}),
    "admin": frozenset({"read", "write", "configure"}),
}
NEEDED: dict[str, str] = {"read": "viewer", "write": "csm", "propose": "csm", "decide": "vp_cs", "configure": "admin"}


class ApiKey(BaseModel):
    """One API key: who holds it and their role. Only the key's SHA-256 is configured, never the key."""

    actor: str = Field(min_length=1, max_length=200)
    role: Role
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class Caller:
    actor: str
    role: str

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS[self.role]


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class KeyRing:
    def __init__(self, keys: list[ApiKey], *, legacy_admin_token: str | None = None) -> None:
        self._by_hash = {k.token_sha256: Caller(k.actor, k.role) for k in keys}
        self._legacy = legacy_admin_token

    def identify(self, authorization: str | None) -> Caller:
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401, "unauthorized", "send 'Authorization: Bearer <API key>'", headers={"WWW-Authenticate": "Bearer"}
            )
        if self._legacy is not None and hmac.compare_digest(token.encode(), self._legacy.encode()):
            return Caller("admin-token", "admin")
        found = self._by_hash.get(sha256(token))
        if found is None:
            raise ApiError(401, "unauthorized", "unknown API key", headers={"WWW-Authenticate": "Bearer"})
        return found

    def authorise(self, authorization: str | None, permission: str) -> Caller:
        caller = self.identify(authorization)
        if not caller.may(permission):
            needed = NEEDED[permission]
            raise ApiError(
                403,
                "forbidden",
                f"role: '{caller.role}' may not {permission}; that needs the {needed} role",
                needed_role=needed,
            )
        return caller


class HasKeys(Protocol):
    @property
    def keys(self) -> KeyRing: ...


R = TypeVar("R", bound=HasKeys)


@dataclass(frozen=True, slots=True)
class Acting(Generic[R]):
    """A request's caller (their key's actor and role), allowed what the route needs, and the service's
    runtime (``rt``: settings, pool, ...)."""

    rt: R
    caller: Caller

    @property
    def actor(self) -> str:
        return self.caller.actor

    @property
    def role(self) -> str:
        return self.caller.role


def require(permission: Permission) -> Callable[..., Awaitable[Acting[Any]]]:
    """The one role dependency of every service: the Bearer key's caller, refused (401 / 403 naming a
    role that would be allowed) unless their role may ``permission``. Async with no I/O: FastAPI would
    run a plain ``def`` in its thread pool, a thread hop per request."""

    async def dependency(request: Request, authorization: Annotated[str | None, Header()] = None) -> Acting[Any]:
        rt = request.app.state.runtime
        return Acting(rt, rt.keys.authorise(authorization, permission))

    return dependency
