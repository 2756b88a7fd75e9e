"""Webhook sources for the ingest tests: one made with a kind (and a signing secret), HubSpot's v3
signature headers, and the rejected list of a source by message id."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import httpx

from conftest import ADMIN_TOKEN, create_source

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
QUALIFICATION = {
    "problem_severity": "4",
    "expected_duration_months": "36",
    "buying_department_fit": "true",
    "champion_fit": "true",
    "technology_ready": "false",
    "services_sold_hours": "40",
    "services_needed_hours": "60",
}


def webhook_source(base: str, kind: str, secret: str | None = None, config: dict[str, Any] | None = None):
    src = create_source(base, kind=kind, scopes=None, config=config or {})
    if secret is not None:
        r = httpx.put(f"{base}/v1/sources/{src.id}/signing-secret", json={"secret": secret}, headers=ADMIN)
        assert r.status_code == 200, r.text
    return src


def hubspot_headers(secret: str, url: str, body: bytes, *, at_ms: int | None = None) -> dict[str, str]:
    stamp = str(at_ms if at_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), b"POST" + url.encode() + body + stamp.encode(), hashlib.sha256).digest()
    return {
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
        "X-HubSpot-Request-Timestamp": stamp,
        "Content-Type": "application/json",
    }


async def rejected(http: httpx.AsyncClient, base: str, source_id: str) -> dict[str | None, dict[str, Any]]:
    r = await http.get(f"{base}/v1/rejected", params={"source_id": source_id}, headers=ADMIN)
    return {x["message_id"]: x for x in r.json()["items"]}
