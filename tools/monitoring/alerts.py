"""The alerts an on-call engineer gets, one PrometheusRule per service (``deploy/k8s/base/<svc>/
prometheusrule.yaml``, written by ``python -m tools.devstack monitoring write``).

Every series carries ``service`` (the pod's ``app.kubernetes.io/name``, set by the PodMonitor's
relabelling, or by ``make observe``'s scrape config). Each alert links its section of
``docs/runbook.md``; ``tests/deploy/alerts/<svc>.yaml`` unit-tests each one with ``promtool test rules``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bellwether_shared.topics import CONSUMES, PRODUCES

RUNBOOK = "https://github.com/bellwether/bellwether/blob/main/docs/runbook.md"
SERVICES = ("ingest", "health", "renewals", "notifications", "accounts")


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str  # ``{svc}`` is the service's selector, e.g. service="health"
    summary: str
    severity: str = "warning"
    for_: str = "5m"

    def rule(self, service: str) -> dict[str, Any]:
        sel = f'service="{service}"'
        return {
            "alert": self.name,
            "expr": self.expr.replace("{svc}", sel).strip(),
            "for": self.for_,
            "labels": {"severity": self.severity, "service": service},
            "annotations": {
                "summary": self.summary.replace("{service}", service),
                "runbook_url": f"{RUNBOOK}#{self.name.lower()}",
            },
        }


HTTP = [
    Alert(
        "BellwetherHighErrorRate",
        """sum by (service) (rate(http_server_duration_milliseconds_count{{svc}, http_status_code=~"5.."}[5m]))
  / sum by (service) (rate(http_server_duration_milliseconds_count{{svc}}[5m])) > 0.02""",
        "More than 2% of the HTTP requests to {service} answer 5xx.",
        "critical",
        "10m",
    ),
    Alert(
        "BellwetherServiceUnavailable",
        """sum by (service) (rate(http_server_duration_milliseconds_count{{svc}, http_status_code="503"}[5m])) > 0.1""",
        "{service} answers 503: a dependency (Kafka or PostgreSQL) is unreachable from it.",
        "critical",
        "5m",
    ),
]
LOOPS = [
    Alert(
        "BellwetherBackgroundLoopNotRunning",
        """time() - bellwether_loop_last_success_timestamp_seconds{{svc}}
  > 3 * bellwether_loop_interval_seconds{{svc}} + 300""",
        "A background loop of {service} has not completed a step for over 3 intervals plus 5 minutes.",
        "critical",
        "5m",
    ),
    Alert(
        "BellwetherBackgroundLoopFailing",
        "sum by (service, loop) (increase(bellwether_loop_failures_total{{svc}}[15m])) > 5",
        "A background loop of {service} keeps failing (more than 5 failed steps in 15 minutes).",
        "warning",
        "0m",
    ),
]
OUTBOX = [
    Alert(
        "BellwetherOutboxBacklogOld",
        "max by (service) (bellwether_outbox_oldest_age_seconds{{svc}}) > 120",
        "The outbox of {service} holds events older than 2 minutes: they are not reaching Kafka.",
        "critical",
        "5m",
    ),
]
CONSUMER = [
    Alert(
        "BellwetherConsumerLagHigh",
        "bellwether:consumer_lag:sum{{svc}} > 100000",
        "The consumer group of {service} is more than 100k records behind.",
        "warning",
        "10m",
    ),
    Alert(
        "BellwetherConsumerLagGrowing",
        "deriv(bellwether:consumer_lag:sum{{svc}}[15m]) > 0 and bellwether:consumer_lag:sum{{svc}} > 1000",
        "The consumer lag of {service} has grown for 15 minutes: it consumes slower than events arrive.",
        "warning",
        "15m",
    ),
    Alert(
        "BellwetherConsumerStuck",
        """bellwether:consumer_lag:sum{{svc}} > 0
  and on (service, consumer) sum by (service, consumer) (rate(bellwether_consumer_records_total{{svc}}[10m])) == 0""",
        "A consumer of {service} has records waiting but processed none in 10 minutes.",
        "critical",
        "10m",
    ),
    Alert(
        "BellwetherRecordsDeadLettered",
        """sum by (service, consumer) (increase(bellwether_consumer_records_total{{svc}, outcome="dead_lettered"}[15m]))
  > 0""",
        "{service} dead-lettered records in the last 15 minutes (they were not applied).",
        "warning",
        "0m",
    ),
]
SPECIFIC: dict[str, list[Alert]] = {
    "ingest": [
        Alert(
            "BellwetherIngestRejectionsSpiking",
            """sum by (service, source) (rate(bellwether_ingest_events_rejected_total{{svc}}[15m]))
  / (sum by (service, source) (rate(bellwether_ingest_events_rejected_total{{svc}}[15m]))
     + sum by (service, source) (rate(bellwether_ingest_events_accepted_total{{svc}}[15m]))) > 0.2
  and sum by (service, source) (rate(bellwether_ingest_events_rejected_total{{svc}}[15m])) > 0.1""",
            "More than 20% of one source's events are rejected (a sender's change, or a tracking plan).",
            "warning",
            "10m",
        ),
    ],
    "health": [
        Alert(
            "BellwetherRescoreStalled",
            "max by (service) (bellwether_health_recompute_overdue_seconds{{svc}}) > 900",
            "Accounts have waited over 15 minutes for their re-score: scores are stale.",
            "critical",
            "5m",
        ),
        Alert(
            "BellwetherRescoreJobStalled",
            """max by (service) (bellwether_health_rescore_job_age_seconds{{svc}}) > 1800
  and on (service) sum by (service) (rate(bellwether_health_accounts_scored_total{{svc}}[15m])) == 0""",
            "A re-score job has been unfinished for 30 minutes and no account was scored in 15.",
            "critical",
            "5m",
        ),
    ],
    "notifications": [
        Alert(
            "BellwetherDeliveriesFailing",
            """sum by (service, kind)
    (rate(bellwether_notifications_delivery_attempts_total{{svc}, outcome="failed"}[15m]))
  / sum by (service, kind) (rate(bellwether_notifications_delivery_attempts_total{{svc}}[15m])) > 0.25""",
            "More than a quarter of delivery attempts of one kind (webhook, chat, email) fail.",
            "warning",
            "15m",
        ),
        Alert(
            "BellwetherDestinationDisabled",
            "max by (service) (bellwether_notifications_destinations_disabled_now{{svc}}) > 0",
            "A destination was disabled after failing for DISABLE_AFTER_S: its alerts are not delivered.",
            "warning",
            "0m",
        ),
        Alert(
            "BellwetherDeliveriesOverdue",
            "max by (service) (bellwether_notifications_delivery_overdue_seconds{{svc}}) > 600",
            "Deliveries have been due for over 10 minutes without being sent (the deliverer is behind or stuck).",
            "critical",
            "5m",
        ),
    ],
}
LAG_RECORD = {
    "record": "bellwether:consumer_lag:sum",
    # one value per partition (a moved partition reports 0 where it left), summed per group
    "expr": "sum by (service, consumer, group) (max by (service, consumer, group, topic, partition) "
    "(bellwether_consumer_lag))",
}


def alerts_of(service: str) -> list[Alert]:
    found = [*HTTP, *LOOPS]
    if PRODUCES.get(service) or service == "ingest":
        found += OUTBOX
    if service in CONSUMES:
        found += CONSUMER
    return found + SPECIFIC.get(service, [])


def prometheus_rule(service: str) -> dict[str, Any]:
    group: dict[str, Any] = {"name": f"bellwether-{service}", "rules": []}
    if service in CONSUMES:
        group["rules"].append(
            {
                **LAG_RECORD,
                "expr": LAG_RECORD["expr"].replace(
                    "(bellwether_consumer_lag)", f'(bellwether_consumer_lag{{service="{service}"}})'
                ),
            }
        )
    group["rules"] += [a.rule(service) for a in alerts_of(service)]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": service, "labels": {"app.kubernetes.io/name": service, "role": "alert-rules"}},
        "spec": {"groups": [group]},
    }
