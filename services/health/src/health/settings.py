"""Health settings (environment variables, upper case). Bad values stop the process at start-up."""

from __future__ import annotations

from pydantic import Field, SecretStr

from bellwether_shared.settings import ServiceSettings


class HealthSettings(ServiceSettings):
    service_name: str = "health"
    http_port: int = Field(default=8082, ge=1, le=65535)
    db_schema: str = "health"

    api_token: SecretStr = Field(min_length=16, description="Bearer token of the health API")

    consumer_group: str = "health"
    consumer_max_records: int = Field(default=5000, ge=1, le=50_000)

    coalesce_ms: int = Field(
        default=200,
        ge=0,
        le=60_000,
        description="at most one re-score per account per window (the first event after a quiet one is scored at once)",
    )
    recompute_batch: int = Field(default=500, ge=1, le=10_000)
    recompute_poll_s: float = Field(default=0.05, gt=0, le=10)
    recompute_lease_s: float = Field(
        default=60, ge=1, le=3600, description="a claimed account is claimable again after this (its worker died)"
    )
    decay_interval_s: float = Field(default=3600, gt=0, description="re-score every account this often")
    min_delta: float = Field(default=5.0, ge=0, le=100, description="smallest change announced on health.v1")
    history_days: int = Field(default=180, ge=30, le=3650, description="usage kept for the measures' windows")
    workers: int = Field(
        default=1,
        ge=0,
        le=16,
        description="recompute workers in this process (0: run `python -m health.worker` separately)",
    )
    onboarding_expected_days: int = Field(
        default=60,
        ge=1,
        le=365,
        description="onboarding not confirmed by the customer this long after kickoff: overdue",
    )
    usage_grace_days: int = Field(
        default=14,
        ge=0,
        le=365,
        description="an account never seen using the product: its missing usage counts as none this long after it "
        "was first seen or its onboarding started (whichever is later); before, it is no data",
    )
    score_history_days: int = Field(
        default=400, ge=30, le=3650, description="stored scores kept (the latest of each account always stays)"
    )
