"""The two CRM write APIs as their vendors document them, without I/O: the request for a batch of
record updates, and what the answer means for each record.

* HubSpot, CRM objects API: ``POST /crm/v3/objects/companies/batch/update`` with ``{"inputs": [{"id",
  "properties"}]}`` (at most 100; property values as strings), private-app token as ``Authorization:
  Bearer``. 200: all updated; 207 Multi-Status: ``results`` updated, ``errors`` name the ids they concern
  (``context.ids``) and a ``category`` (``OBJECT_NOT_FOUND``, ``VALIDATION_ERROR``…); 429: a rate limit
  (``policyName`` in the body; ``Retry-After`` or ``X-HubSpot-RateLimit-Interval-Milliseconds`` say how
  long to wait; ``DAILY`` resets at midnight).
* Salesforce, REST sObject Collections: ``PATCH /services/data/vNN.N/composite/sobjects`` with
  ``{"allOrNone": false, "records": [{"attributes": {"type": "Account"}, "id", <fields>}]}`` (at most
  200), OAuth access token as ``Authorization: Bearer``. 200: one SaveResult per record in order
  (``success``, ``errors[].statusCode``/``message``/``fields``); a request error is a list of
  ``{"message", "errorCode"}`` (``INVALID_SESSION_ID`` on 401, ``REQUEST_LIMIT_EXCEEDED`` on 403)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from notifications.domain.crm import Kind, Value

HUBSPOT_PATH = "/crm/v3/objects/companies/batch/update"
SALESFORCE_VERSION = "v62.0"
HUBSPOT_RETRYABLE = frozenset({"RATE_LIMITS", "LOCKED", "INTERNAL_ERROR", "TIMEOUT"})
SALESFORCE_RETRYABLE = frozenset({"UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE"})
DAILY_PAUSE_S = 3600.0  # HubSpot's daily limit resets at midnight in the portal's zone: look again hourly
SALESFORCE_LIMIT_PAUSE_S = 900.0  # the org's 24-hour API request limit: look again every 15 minutes


@dataclass(frozen=True, slots=True)
class Write:
    record_id: str
    props: Mapping[str, Value]


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of each record of a request (by record id)."""

    ok: frozenset[str] = frozenset()
    failed: Mapping[str, str] = field(default_factory=dict)  # permanent: retried only after a new change
    retry: Mapping[str, str] = field(default_factory=dict)  # transient: retried with backoff
    wait_s: float | None = None  # the destination's rate limit: nothing goes before this
    error: str | None = None  # what went wrong with the request as a whole
    status: int | None = None  # the answer's HTTP status (None: no answer)


def request(kind: Kind, writes: Sequence[Write], *, api_version: str | None = None) -> Request:
    if kind == "hubspot":
        inputs = [{"id": w.record_id, "properties": {k: _text(v) for k, v in w.props.items()}} for w in writes]
        return Request("POST", HUBSPOT_PATH, {"inputs": inputs})
    records = [{"attributes": {"type": "Account"}, "id": w.record_id, **w.props} for w in writes]
    path = f"/services/data/{api_version or SALESFORCE_VERSION}/composite/sobjects"
    return Request("PATCH", path, {"allOrNone": False, "records": records})


def _text(v: Value) -> str:
    return str(v)


def outcome(kind: Kind, status: int, body: Any, headers: Mapping[str, str], ids: Sequence[str]) -> Outcome:
    """``headers`` with lower-case names."""
    found = _hubspot(status, body, headers, ids) if kind == "hubspot" else _salesforce(status, body, ids)
    return replace(found, status=status)


def transport_failure(ids: Sequence[str], error: str) -> Outcome:
    return Outcome(retry=dict.fromkeys(ids, error), error=error)


def _all(ids: Sequence[str], error: str, *, retry: bool, wait_s: float | None = None) -> Outcome:
    per = dict.fromkeys(ids, error)
    return Outcome(retry=per, wait_s=wait_s, error=error) if retry else Outcome(failed=per, error=error)


def _hubspot(status: int, body: Any, headers: Mapping[str, str], ids: Sequence[str]) -> Outcome:
    doc = body if isinstance(body, dict) else {}
    message = str(doc.get("message") or f"HTTP {status}")[:300]
    if status == 429:
        return _all(
            ids, f"HTTP 429 {doc.get('policyName', 'rate limit')}: {message}", retry=True, wait_s=_wait(doc, headers)
        )
    if status >= 500 or status in (401, 403):
        return _all(ids, f"HTTP {status} {doc.get('category', '')}: {message}".replace("  ", " "), retry=True)
    if status not in (200, 207):
        return _all(ids, f"HTTP {status} {doc.get('category', '')}: {message}".replace("  ", " "), retry=False)
    done = {str(r.get("id")) for r in doc.get("results") or [] if isinstance(r, dict)}
    failed: dict[str, str] = {}
    retry: dict[str, str] = {}
    for e in doc.get("errors") or []:
        if not isinstance(e, dict):
            continue
        category = str(e.get("category", "ERROR"))
        text = f"{category}: {str(e.get('message', ''))[:300]}"
        for rid in (e.get("context") or {}).get("ids") or []:
            (retry if category in HUBSPOT_RETRYABLE else failed)[str(rid)] = text
    for rid in ids:  # neither updated nor named by an error: not known to be written
        if rid not in done and rid not in failed and rid not in retry:
            retry[rid] = "not in the answer"
    return Outcome(
        ok=frozenset(r for r in ids if r in done and r not in failed and r not in retry), failed=failed, retry=retry
    )


def _wait(doc: Mapping[str, Any], headers: Mapping[str, str]) -> float:
    after = _number(headers.get("retry-after"))
    if after is not None:
        return after
    if str(doc.get("policyName", "")).upper() == "DAILY":
        return DAILY_PAUSE_S
    interval_ms = _number(headers.get("x-hubspot-ratelimit-interval-milliseconds"))
    return interval_ms / 1000 if interval_ms is not None else 10.0


def _number(text: str | None) -> float | None:
    try:
        return max(0.0, float(text)) if text is not None else None
    except ValueError:
        return None


def _salesforce(status: int, body: Any, ids: Sequence[str]) -> Outcome:
    if status != 200 or not isinstance(body, list) or len(body) != len(ids):
        first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
        code = str(first.get("errorCode") or f"HTTP {status}")
        text = f"{code}: {str(first.get('message', ''))[:300]}"
        if code == "REQUEST_LIMIT_EXCEEDED":
            return _all(ids, text, retry=True, wait_s=SALESFORCE_LIMIT_PAUSE_S)
        return _all(ids, text, retry=status >= 500 or status in (401, 403) or status == 200)
    ok: set[str] = set()
    failed: dict[str, str] = {}
    retry: dict[str, str] = {}
    for rid, result in zip(ids, body, strict=True):
        if isinstance(result, dict) and result.get("success") is True:
            ok.add(rid)
            continue
        errors = result.get("errors") if isinstance(result, dict) else None
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
        code = str(first.get("statusCode", "UNKNOWN"))
        fields = ", ".join(str(f) for f in first.get("fields") or [])
        text = f"{code}: {str(first.get('message', ''))[:300]}" + (f" ({fields})" if fields else "")
        (retry if code in SALESFORCE_RETRYABLE else failed)[rid] = text
    return Outcome(ok=frozenset(ok), failed=failed, retry=retry)
