"""What parsing a usage event into its typed model costs the health consumer, per event, beside
reading the three fields it needs from the decoded JSON (the reason usage events stay dicts on the
hot path: see health/handlers.py). Pure CPU, no infrastructure; part of ``--suite health``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson

from bellwether_shared.events import ingest as ev


def _payload() -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    doc = {
        "message_id": "m-1",
        "source_id": "s",
        "account_id": "acct-1",
        "received_at": now,
        "user_id": "u1",
        "anonymous_id": None,
        "timestamp": now,
        "kind": "track",
        "event": "Report Exported",
        "properties": {"format": "pdf", "rows": 120},
        "context": {"groupId": "acct-1", "library": {"name": "analytics-python", "version": "2.3"}},
    }
    parsed: dict[str, Any] = orjson.loads(orjson.dumps(doc))
    return parsed


def _per_event_us(fn: Any, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return round((time.perf_counter() - t0) / n * 1e6, 3)


def measure(n: int = 50_000) -> dict[str, float]:
    p = _payload()
    typed = _per_event_us(lambda: ev.UsageRecorded.model_validate(p), n)
    raw = _per_event_us(
        lambda: (datetime.fromisoformat(p["timestamp"]).date(), p.get("user_id") or p.get("anonymous_id"), p["event"]),
        n,
    )
    return {"typed_model_us_per_event": typed, "dict_fields_us_per_event": raw, "events": n}
