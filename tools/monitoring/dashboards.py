"""Grafana dashboards (JSON, provisioned by the ``grafana-dashboards`` ConfigMap that
``deploy/k8s/base/monitoring`` generates): one overview and one per service, every query built from
metrics the services export (``tests/deploy/test_monitoring.py`` checks each name against a running
service's ``/metrics``)."""

from __future__ import annotations

from typing import Any

from bellwether_shared.topics import CONSUMES

DS = {"type": "prometheus", "uid": "${datasource}"}
Panel = tuple[str, list[tuple[str, str]], str]  # title, [(expr, legend)], unit

HTTP: list[Panel] = [
    (
        "Requests/s by status",
        [
            (
                "sum by (http_status_code) (rate(http_server_duration_milliseconds_count{{svc}}[5m]))",
                "{{http_status_code}}",
            )
        ],
        "reqps",
    ),
    (
        "Request latency p99 (ms)",
        [("histogram_quantile(0.99, sum by (le) (rate(http_server_duration_milliseconds_bucket{{svc}}[5m])))", "p99")],
        "ms",
    ),
    (
        "Background loops: seconds since last success",
        [("time() - bellwether_loop_last_success_timestamp_seconds{{svc}}", "{{loop}}")],
        "s",
    ),
    (
        "Background loop failures/s",
        [("sum by (loop) (rate(bellwether_loop_failures_total{{svc}}[5m]))", "{{loop}}")],
        "ops",
    ),
]
OUTBOX: list[Panel] = [
    ("Outbox: oldest waiting row (s)", [("max(bellwether_outbox_oldest_age_seconds{{svc}})", "age")], "s"),
    ("Outbox: events published/s", [("sum(rate(bellwether_outbox_published_total{{svc}}[5m]))", "published")], "ops"),
]
CONSUMER: list[Panel] = [
    (
        "Consumer lag by topic",
        [("sum by (topic) (max by (topic, partition) (bellwether_consumer_lag{{svc}}))", "{{topic}}")],
        "short",
    ),
    (
        "Records/s by outcome",
        [("sum by (outcome) (rate(bellwether_consumer_records_total{{svc}}[5m]))", "{{outcome}}")],
        "ops",
    ),
    (
        "Batch time p99 (s)",
        [("histogram_quantile(0.99, sum by (le) (rate(bellwether_consumer_batch_seconds_bucket{{svc}}[5m])))", "p99")],
        "s",
    ),
]
SPECIFIC: dict[str, list[Panel]] = {
    "ingest": [
        (
            "Events accepted/s by source",
            [("sum by (source) (rate(bellwether_ingest_events_accepted_total{{svc}}[5m]))", "{{source}}")],
            "ops",
        ),
        (
            "Events rejected/s by source",
            [("sum by (source) (rate(bellwether_ingest_events_rejected_total{{svc}}[5m]))", "{{source}}")],
            "ops",
        ),
        (
            "Events parked without an account/s",
            [("sum(rate(bellwether_ingest_events_unattributed_total{{svc}}[5m]))", "unattributed")],
            "ops",
        ),
    ],
    "health": [
        ("Accounts scored/s", [("sum(rate(bellwether_health_accounts_scored_total{{svc}}[5m]))", "scored")], "ops"),
        ("Re-score queue", [("max(bellwether_health_recompute_queue_depth{{svc}})", "waiting")], "short"),
        (
            "Longest wait for a re-score (s)",
            [("max(bellwether_health_recompute_overdue_seconds{{svc}})", "overdue")],
            "s",
        ),
        ("Oldest unfinished re-score job (s)", [("max(bellwether_health_rescore_job_age_seconds{{svc}})", "age")], "s"),
    ],
    "notifications": [
        (
            "Delivery attempts/s",
            [
                (
                    "sum by (kind, outcome) (rate(bellwether_notifications_delivery_attempts_total{{svc}}[5m]))",
                    "{{kind}} {{outcome}}",
                )
            ],
            "ops",
        ),
        ("Deliveries waiting", [("max(bellwether_notifications_deliveries_pending{{svc}})", "pending")], "short"),
        (
            "Longest-waiting due delivery (s)",
            [("max(bellwether_notifications_delivery_overdue_seconds{{svc}})", "overdue")],
            "s",
        ),
        (
            "Destinations disabled",
            [("max(bellwether_notifications_destinations_disabled_now{{svc}})", "disabled")],
            "short",
        ),
    ],
}
OVERVIEW: list[Panel] = [
    (
        "Events in/s",
        [
            ('sum(rate(bellwether_ingest_events_accepted_total{service="ingest"}[5m]))', "accepted"),
            ('sum(rate(bellwether_ingest_events_rejected_total{service="ingest"}[5m]))', "rejected"),
        ],
        "ops",
    ),
    ("Consumer lag by service", [("sum by (service) (bellwether:consumer_lag:sum)", "{{service}}")], "short"),
    (
        "Scores computed/s",
        [('sum(rate(bellwether_health_accounts_scored_total{service="health"}[5m]))', "scored")],
        "ops",
    ),
    (
        "Events published/s by service (health.v1 scores, renewals.v1 risk changes, alerts)",
        [("sum by (service) (rate(bellwether_outbox_published_total[5m]))", "{{service}}")],
        "ops",
    ),
    (
        "Deliveries/s",
        [
            (
                "sum by (outcome) (rate(bellwether_notifications_delivery_attempts_total"
                '{service="notifications"}[5m]))',
                "{{outcome}}",
            )
        ],
        "ops",
    ),
    (
        "HTTP 5xx/s by service",
        [
            (
                'sum by (service) (rate(http_server_duration_milliseconds_count{http_status_code=~"5.."}[5m]))',
                "{{service}}",
            )
        ],
        "reqps",
    ),
    (
        "Records dead-lettered (15 m)",
        [
            (
                'sum by (service) (increase(bellwether_consumer_records_total{outcome="dead_lettered"}[15m]))',
                "{{service}}",
            )
        ],
        "short",
    ),
    (
        "Loop failures/s by service",
        [("sum by (service) (rate(bellwether_loop_failures_total[5m]))", "{{service}}")],
        "ops",
    ),
]


def _panel(i: int, title: str, targets: list[tuple[str, str]], unit: str, svc: str | None) -> dict[str, Any]:
    sel = f'service="{svc}"' if svc else ""
    return {
        "id": i + 1,
        "type": "timeseries",
        "title": title,
        "datasource": DS,
        "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(65 + n), "datasource": DS, "expr": expr.replace("{svc}", sel), "legendFormat": legend}
            for n, (expr, legend) in enumerate(targets)
        ],
    }


def _dashboard(uid: str, title: str, panels: list[Panel], svc: str | None) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["bellwether"],
        "timezone": "utc",
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}]
        },
        "panels": [_panel(i, t, targets, unit, svc) for i, (t, targets, unit) in enumerate(panels)],
    }


def panels_of(service: str) -> list[Panel]:
    found = list(HTTP)
    if service != "accounts":
        found += OUTBOX
    if service in CONSUMES:
        found += CONSUMER
    return found + SPECIFIC.get(service, [])


def dashboards(services: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """File name → dashboard."""
    out = {"bellwether-overview.json": _dashboard("bellwether-overview", "Bellwether: overview", OVERVIEW, None)}
    for svc in services:
        out[f"bellwether-{svc}.json"] = _dashboard(f"bellwether-{svc}", f"Bellwether: {svc}", panels_of(svc), svc)
    return out
