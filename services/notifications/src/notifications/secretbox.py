"""Endpoint signing secrets are needed in clear to sign, so they cannot be hashed: they are
encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256) with a key derived from ``SECRETS_KEY``."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet


class SecretBox:
    def __init__(self, passphrase: str) -> None:
        key = base64.urlsafe_b64encode(hashlib.sha256(passphrase.encode()).digest())
        self._fernet = Fernet(key)

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        return self._fernet.decrypt(sealed.encode()).decode()
