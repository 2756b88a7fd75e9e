"""Standard Webhooks signatures (https://www.standardwebhooks.com): ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature`` = space-separated ``v1,<base64 HMAC-SHA256>`` over
``{id}.{timestamp}.{body}``, one per active secret (two while a rotated secret overlaps)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _secrets
from collections.abc import Mapping, Sequence

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(_secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    if not secrets:
        raise ValueError("a webhook needs at least one signing secret")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets),
    }


def verify(secret: str, hdrs: Mapping[str, str], body: bytes, *, now: int, tolerance_s: int = 300) -> bool:
    """What a receiver does: any v1 signature matches, and the timestamp is recent."""
    try:
        ts = int(hdrs["webhook-timestamp"])
        expected = sign(secret, hdrs["webhook-id"], ts, body).split(",", 1)[1]
    except (KeyError, ValueError):
        return False
    if abs(now - ts) > tolerance_s:
        return False
    for part in hdrs.get("webhook-signature", "").split():
        version, _, sig = part.partition(",")
        if version == "v1" and hmac.compare_digest(sig, expected):
            return True
    return False
