"""The ratchet of the layer rule "repositories only from use cases": the API modules that read a repository
directly, as they did when the contract was written (module, repository). The list may shrink (move the
read behind a use case or a query module and delete its line), never grow: a new pair fails make lint."""

from __future__ import annotations

API_READS: frozenset[tuple[str, str]] = frozenset(
    {
        ("accounts.api", "accounts.query_repository"),
        ("health.api", "health.query_repository"),
        ("health.calibration_api", "health.calibration_repository"),
        ("health.config_api", "health.config_repository"),
        ("health.config_api", "health.queue_repository"),
        ("health.config_api", "health.repository"),
        ("health.segments_api", "health.query_repository"),
        ("ingest.admin_api", "ingest.repository"),
        ("ingest.admin_api", "ingest.source_repository"),
        ("ingest.api", "ingest.source_repository"),
        ("ingest.auth", "ingest.source_repository"),
        ("ingest.deletion_api", "ingest.deletion_repository"),
        ("ingest.destination_api", "ingest.source_repository"),
        ("ingest.plan_api", "ingest.plan_repository"),
        ("ingest.plan_api", "ingest.source_repository"),
        ("ingest.webhook_api", "ingest.source_repository"),
        ("notifications.api", "notifications.alert_repository"),
        ("notifications.api", "notifications.destination_repository"),
        ("notifications.api", "notifications.repository"),
        ("notifications.api", "notifications.task_repository"),
        ("notifications.destinations_api", "notifications.delivery_repository"),
        ("notifications.destinations_api", "notifications.destination_repository"),
        ("notifications.destinations_api", "notifications.repository"),
        ("notifications.incidents_api", "notifications.incident_repository"),
        ("notifications.playbooks_api", "notifications.task_repository"),
        ("notifications.tasks_api", "notifications.task_repository"),
        ("renewals.api", "renewals.contract_repository"),
        ("renewals.api", "renewals.opportunity_repository"),
        ("renewals.api", "renewals.repository"),
        ("renewals.config_api", "renewals.repository"),
        ("renewals.deps", "renewals.repository"),
        ("renewals.handoff_api", "renewals.handoff_repository"),
        ("renewals.insights_api", "renewals.insights_repository"),
        ("renewals.insights_api", "renewals.repository"),
        ("renewals.requests_api", "renewals.request_repository"),
    }
)
