"""Senders' request signatures (pure): each vendor's documented scheme, checked in constant time.

* Segment (Webhooks destinations) and RudderStack: ``X-Signature``, hex HMAC-SHA1 of the body with
  the shared secret.
* HubSpot v3: ``X-HubSpot-Signature-v3``, base64 HMAC-SHA256 of method + URI + body + timestamp with
  the app's client secret; ``X-HubSpot-Request-Timestamp`` (ms) within 5 minutes.
* Zendesk: ``X-Zendesk-Webhook-Signature``, base64 HMAC-SHA256 of timestamp + body with the webhook's
  signing secret; ``X-Zendesk-Webhook-Signature-Timestamp``.
* Intercom: ``X-Hub-Signature``, ``sha1=`` + hex HMAC-SHA1 of the body with the app's client secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

REPLAY_WINDOW = timedelta(minutes=5)


def _hex(secret: str, data: bytes, algo: str) -> str:
    return hmac.new(secret.encode(), data, algo).hexdigest()


def _b64(secret: str, data: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.strip().encode(), expected.encode())


def segment_ok(secret: str, bodies: Iterable[bytes], header: str | None) -> bool:
    """``bodies``: the body as received and as decoded (a gzipped body may have been signed either way)."""
    return any(_same(header.lower() if header else None, _hex(secret, b, "sha1")) for b in bodies)


def intercom_ok(secret: str, body: bytes, header: str | None) -> bool:
    return _same(header, "sha1=" + _hex(secret, body, "sha1"))


def zendesk_ok(secret: str, body: bytes, header: str | None, timestamp: str | None) -> bool:
    return timestamp is not None and _same(header, _b64(secret, timestamp.encode() + body))


def hubspot_ok(secret: str, *, method: str, uri: str, body: bytes, header: str | None, timestamp: str | None) -> bool:
    return timestamp is not None and _same(
        header, _b64(secret, method.encode() + uri.encode() + body + timestamp.encode())
    )


def fresh(timestamp: str | None, now: datetime, *, millis: bool = False) -> bool:
    """A sender's timestamp within the replay window of ``now``: Unix seconds (milliseconds with
    ``millis``, HubSpot's) or ISO-8601 (Zendesk's)."""
    if timestamp is None or not timestamp.strip():
        return False
    text = timestamp.strip()
    if text.lstrip("-").isdigit():
        seconds = int(text) / (1000 if millis else 1)
    else:
        try:
            at = datetime.fromisoformat(text)
        except ValueError:
            return False
        seconds = (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
    return abs(now.timestamp() - seconds) <= REPLAY_WINDOW.total_seconds()
