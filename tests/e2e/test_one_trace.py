"""One ingest call that moves a score and raises an alert is one trace, received by a real OTLP
receiver from all four services: ingest request → Kafka → health's consumer → the re-score → the
outbox → renewals (risk) → the outbox → notifications (alert) → the webhook delivery, whose request
carries the trace on as ``traceparent``. Log lines carry the trace and span ids."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from conftest import API_TOKEN, renewals_headers
from devkit.receiver import Receiver
from tests.support.notifications import AUTH as NOTIFY
from tests.support.otlp import OtlpReceiver, Span
from tests.support.wait import eventually

HEALTH = {"Authorization": f"Bearer {API_TOKEN}"}
NOW = datetime.now(UTC)


@pytest.fixture
def receiver() -> Any:
    r = Receiver().start()
    yield r
    r.stop()


def _chain(spans: list[Span], leaf: Span) -> list[Span]:
    """The leaf and its ancestors, root first (as far as the receiver has them)."""
    by_id = {s.span_id: s for s in spans}
    path = [leaf]
    while path[-1].parent_span_id in by_id:
        path.append(by_id[path[-1].parent_span_id])
    return path[::-1]


async def _setup(http: httpx.AsyncClient, svc: dict[str, Any], key: str, run_id: str, hook: str) -> str:
    """An account on a scorecard of its own (NPS only: red below 40), renewing in about 65 days, its
    CSM subscribed to a webhook; returns the account id once renewals has its renewal open."""
    acct, csm, segment = f"tr-{run_id}", f"tcsm-{run_id}", f"trace-{run_id}"
    r = await http.put(
        f"{svc['notifications'].url}/v1/people/{csm}", json={"name": "Tia", "role": "csm"}, headers=NOTIFY
    )
    assert r.status_code == 200, r.text
    notify = svc["notifications"].url
    target = {"name": "trace hook", "kind": "webhook", "target": hook, "owner_person_id": csm}
    dest = await http.post(f"{notify}/v1/destinations", headers=NOTIFY, json=target)
    assert dest.status_code == 201, dest.text
    sub = {"destination_id": dest.json()["destination_id"], "recipient": csm}
    assert (await http.post(f"{notify}/v1/subscriptions", json=sub, headers=NOTIFY)).status_code == 201
    scale = [{"raw": -100, "score": 0}, {"raw": 0, "score": 50}, {"raw": 50, "score": 100}]
    nps = {"key": "nps", "type": "nps", "weight": 1, "params": {"window_days": 180}, "scale": scale}
    card = {
        "name": f"trace {run_id}",
        "segments": [segment],
        "min_measures": 1,
        "min_weight_share": 0.5,
        "thresholds": {"red_below": 40, "green_from": 70},
        "measures": [nps],
    }
    r = await http.post(f"{svc['health'].url}/v1/scorecards", json=card, headers=HEALTH)
    assert r.status_code == 201, r.text
    q = {
        "problem_severity": 4,
        "expected_duration_months": 24,
        "buying_department_fit": True,
        "champion_fit": True,
        "technology_ready": True,
        "services_sold_hours": 10,
        "services_needed_hours": 10,
    }
    signals = {
        "batch": [
            {
                "type": "account.upserted",
                "account_id": acct,
                "name": "Trace Co",
                "tier": "mid",
                "seats": 10,
                "segment": segment,
                "exposure": "low",
                "arr": 90_000,
                "owners": {"csm": csm},
                "occurred_at": (NOW - timedelta(days=1)).isoformat(),
            },
            {
                "type": "deal.closed_won",
                "account_id": acct,
                "deal_id": f"TD-{run_id}",
                "arr": 90_000,
                "list_price": 95_000,
                "term_months": 12,
                "qualification": q,
                "occurred_at": (NOW - timedelta(days=300)).isoformat(),
            },
        ]
    }
    r = await http.post(f"{svc['ingest'].url}/v1/signals", json=signals, auth=(key, ""))
    assert r.status_code == 200 and r.json()["accepted"] == 2, r.text

    async def ready() -> bool:
        opp = await http.get(
            f"{svc['renewals'].url}/v1/opportunities", params={"account_id": acct}, headers=renewals_headers("viewer")
        )
        scored = await http.get(f"{svc['health'].url}/v1/accounts/{acct}/health", headers=HEALTH)
        open_renewal = opp.status_code == 200 and any(o["stage"] != "closed" for o in opp.json()["opportunities"])
        return open_renewal and scored.status_code == 200 and scored.json()["scorecard_id"].startswith("trace-")

    await eventually(ready, timeout=60, what="renewal open and the account scored on its scorecard", interval=0.3)
    return acct


async def test_one_call_is_one_trace_from_ingest_to_the_webhook(
    ingest: Any,
    health: Any,
    renewals: Any,
    notifications: Any,
    otlp: OtlpReceiver,
    source: Any,
    receiver: Receiver,
    run_id: str,
) -> None:
    svc = {"ingest": ingest, "health": health, "renewals": renewals, "notifications": notifications}
    async with httpx.AsyncClient(timeout=15) as http:
        acct = await _setup(http, svc, source.write_key, run_id, receiver.url)
        trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
        detractor = {
            "type": "nps.submitted",
            "account_id": acct,
            "contact_id": "c1",
            "score": 0,
            "comment": "Never again",
            "occurred_at": NOW.isoformat(),
        }
        r = await http.post(
            f"{ingest.url}/v1/signals",
            json={"batch": [detractor]},
            auth=(source.write_key, ""),
            headers={"traceparent": f"00-{trace_id}-{caller_span}-01"},
        )
        assert r.status_code == 200 and r.json()["accepted"] == 1, r.text

        async def delivered() -> Any:
            return next(
                (
                    q
                    for q in receiver.requests
                    if acct in q.body.decode() and json.loads(q.body).get("rule_id") == "renewal-at-risk"
                ),
                None,
            )

        hook = await eventually(delivered, timeout=90, what="the renewal-at-risk webhook")
    assert hook.headers["traceparent"].split("-")[1] == trace_id  # the webhook request carries the trace on

    async def complete() -> list[Span] | None:
        spans = otlp.trace(trace_id)
        for leaf in (s for s in spans if s.name == "webhook deliver"):
            path = _chain(spans, leaf)
            if path[0].parent_span_id == caller_span and "renewals.v1 process" in [s.name for s in path]:
                return path
        return None

    path = await eventually(complete, timeout=30, what="the whole chain exported")
    steps = [(s.service.removeprefix("bellwether-"), s.name) for s in path]
    services = [svc_ for svc_, _ in steps]
    assert (
        services.index("ingest")
        < services.index("health")
        < services.index("renewals")
        < services.index("notifications")
    ), steps
    names = [name for _, name in steps]
    for expected in (
        "POST /v1/signals",
        "kafka publish",
        "signals.v1 process",
        "health score",
        "health.v1 publish",
        "health.v1 process",
        "renewals.v1 publish",
        "renewals.v1 process",
        "webhook deliver",
    ):
        assert expected in names, steps
    assert names.index("health score") < names.index("health.v1 publish") < names.index("health.v1 process")
    deliver = path[-1]
    assert deliver.attributes["delivery_id"] == hook.headers["webhook-id"]
    assert hook.headers["traceparent"].split("-")[2] == deliver.span_id  # the request's parent is the delivery span


def test_log_lines_carry_the_trace_and_span_ids() -> None:
    """The JSON log processor every service uses adds the current span's trace and span ids."""
    from opentelemetry.sdk.trace import TracerProvider

    from bellwether_shared.logging import _add_trace_ids

    tracer = TracerProvider().get_tracer("t")
    with tracer.start_as_current_span("s") as span:
        fields = _add_trace_ids(None, "info", {})
    assert fields["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert fields["span_id"] == format(span.get_span_context().span_id, "016x")
