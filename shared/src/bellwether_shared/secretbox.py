"""Secrets needed in clear (notifications signs with its endpoints' secrets; ingest checks senders'
signatures with theirs), so they cannot be hashed: they are encrypted at rest (Fernet: AES-128-CBC +
HMAC-SHA256) with a key derived from ``SECRETS_KEY``.

Rotating ``SECRETS_KEY``: set the new value and move the old one into ``SECRETS_KEYS_PREVIOUS``.
New secrets are sealed with the new key; secrets sealed with any listed key still open (Fernet's
MultiFernet), so nothing stops working. A secret sealed with a key no longer listed cannot be opened:
what needs it fails with that reason (and nothing else is affected)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class Undecryptable(ValueError):
    """A sealed secret that none of the configured keys opens."""


def _fernet(passphrase: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(passphrase.encode()).digest()))


class SecretBox:
    def __init__(self, passphrase: str, previous: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet([_fernet(passphrase), *(_fernet(p) for p in previous)])

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise Undecryptable("sealed with a key that is not configured") from None
