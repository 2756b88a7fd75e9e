"""What notifications deletes, and when: finished deliveries (succeeded or given up) with their
attempt log after ``DELIVERY_RETENTION_DAYS``; digests no delivery still waits for, after the same;
alerts with their outcomes after ``ALERT_RETENTION_DAYS`` once no delivery of theirs is left and no
digest still waits for them, and incidents once none of their causes is left. Pending deliveries are
never deleted (they end by ``RETRY_FOR_S``)."""

from __future__ import annotations

from datetime import timedelta

from bellwether_shared.retention import Rule
from notifications.settings import NotificationsSettings


def rules(settings: NotificationsSettings) -> list[Rule]:
    deliveries = timedelta(days=settings.delivery_retention_days)
    return [
        Rule("deliveries", "status <> 'pending' AND created_at < $1", deliveries),
        Rule(
            "digests",
            """created_at < $1 AND NOT EXISTS (
                 SELECT 1 FROM deliveries d WHERE d.digest_id = digests.digest_id)""",
            deliveries,
        ),
        Rule(
            "alerts",
            """created_at < $1
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = alerts.alert_id)
               AND NOT EXISTS (SELECT 1 FROM alert_outcomes o WHERE o.alert_id = alerts.alert_id
                               AND o.outcome IN ('digest', 'throttled') AND o.digest_id IS NULL)""",
            timedelta(days=settings.alert_retention_days),
        ),
        Rule(
            "incidents",
            """last_cause_at < $1
               AND NOT EXISTS (SELECT 1 FROM alert_outcomes o WHERE o.incident_id = incidents.incident_id)""",
            timedelta(days=settings.alert_retention_days),
        ),
    ]
