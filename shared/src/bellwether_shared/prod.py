"""What production refuses (``ENVIRONMENT=prod``): settings that only make sense on a laptop. Each
problem names the environment variable. Services add their own (``ServiceSettings.prod_problems``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, SecretStr

DEV_MARK = "change-me"
DEV_TOKENS = ("dev-admin-token-change-me", "dev-vp-token-change-me", "dev-csm-token-change-me")
DEV_TOKEN_HASHES = frozenset(hashlib.sha256(t.encode()).hexdigest() for t in DEV_TOKENS)
MIN_TOKEN = 32


def _is_token(name: str) -> bool:
    return name.endswith("_token") or name.endswith("_key")


def _secrets(settings: BaseModel) -> Iterable[tuple[str, str]]:
    for name in type(settings).model_fields:
        value: Any = getattr(settings, name)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, SecretStr):
                yield name, v.get_secret_value()
            elif isinstance(v, str):
                yield name, v


def key_problems(keys: Iterable[Any]) -> list[str]:
    """API_KEYS: hashes of the development tokens, one key for two roles."""
    found: list[str] = []
    roles_by_hash: dict[str, str] = {}
    for k in keys:
        if k.token_sha256 in DEV_TOKEN_HASHES:
            found.append(f"API_KEYS: the key of {k.actor} is a development token")
        other = roles_by_hash.setdefault(k.token_sha256, k.role)
        if other != k.role:
            found.append(f"API_KEYS: one key for two roles ({other} and {k.role}); every role needs its own")
    return found


def problems(settings: BaseModel) -> list[str]:
    """Development values, short tokens, one token for two roles."""
    out: list[str] = key_problems(getattr(settings, "api_keys", []))
    seen: dict[str, str] = {}
    for name, value in _secrets(settings):
        var = name.upper()
        if DEV_MARK in value.lower():
            out.append(f"{var}: a development value ('{DEV_MARK}') is not allowed in production")
            continue
        field = type(settings).model_fields[name]
        if not _is_token(name) or field.annotation not in (SecretStr, SecretStr | None):
            continue
        if len(value) < MIN_TOKEN:
            out.append(f"{var}: at least {MIN_TOKEN} characters in production (got {len(value)})")
        if value in seen:
            out.append(f"{var}: the same value as {seen[value]}; every role needs its own token")
        seen.setdefault(value, var)
    return out
