"""Write keys: made at random with a recognisable prefix (secret scanners find a leaked one), shown
once, kept only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "bwk_"


def new_write_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
