"""Typed settings shared by every service. Bad configuration stops the process at start-up.

Each service subclasses :class:`ServiceSettings`; values come from the environment (and an
optional ``.env`` file), names in upper case, e.g. ``KAFKA_BOOTSTRAP_SERVERS``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import asdict
from datetime import timedelta
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from bellwether_shared.engagement import DEFAULT_ENTITLEMENTS, Entitlements, Model as EngagementModel
from bellwether_shared.kafka_conn import KafkaConnection
from bellwether_shared.roles import ApiKey
from bellwether_shared.support import DEFAULT_REASONS
from bellwether_shared.tiers import Tiers

S = TypeVar("S", bound="ServiceSettings")


class EntitlementsIn(BaseModel):
    """What one engagement model promises (bellwether_shared.engagement.Entitlements), as configured."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    business_reviews_per_year: int = Field(ge=0, le=12)
    executive_sponsor: bool
    onboarding_hours: int = Field(ge=0, le=1000)
    check_in_days: int | None = Field(ge=1, le=365, description="a check-in at least this often (null: none)")
    value_review_days: int | None = Field(
        default=None, ge=7, le=365, description="a value review at least this often (null: none; left out: the default)"
    )


class ServiceSettings(KafkaConnection):
    """Every service's settings; the Kafka connection (servers, TLS, SASL) comes from KafkaConnection."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    service_name: str
    http_host: str = "127.0.0.1"
    http_port: int = Field(ge=1, le=65535)
    http_workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes")
    environment: Literal["dev", "test", "prod"] = "dev"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    max_request_bytes: int = Field(
        default=1024 * 1024, ge=1024, le=64 * 1024 * 1024, description="larger bodies get 413 before routing"
    )

    tiers: Tiers = Field(
        default_factory=Tiers,
        description="JSON: the company's tiers and what each service reads of them (bellwether_shared.tiers)",
    )
    engagement_entitlements: dict[EngagementModel, EntitlementsIn] = Field(
        default_factory=dict,
        description="JSON: the touches each engagement model promises, e.g. "
        '{"high_touch": {"business_reviews_per_year": 2, "executive_sponsor": true, "onboarding_hours": 30, '
        '"check_in_days": 30}}; models left out keep bellwether_shared.engagement\'s defaults',
    )

    contact_reasons: list[str] = Field(
        default_factory=lambda: list(DEFAULT_REASONS),
        min_length=1,
        max_length=50,
        description="JSON list: the company's taxonomy of why customers contact support (ticket.changed's "
        "contact_reason), e.g. how_to, bug, outage, billing, feature_gap, onboarding",
    )

    @field_validator("contact_reasons")
    @classmethod
    def _reasons(cls, v: list[str]) -> list[str]:
        bad = next((r for r in v if not re.fullmatch(r"[a-z][a-z0-9_]{0,59}", r)), None)
        if bad is not None:
            raise ValueError(f"'{bad}' is not a reason key (lower case letters, digits, _)")
        if len(set(v)) != len(v):
            raise ValueError("a reason is listed twice")
        return v

    def promises(self) -> dict[EngagementModel, Entitlements]:
        """Each engagement model's entitlements: the company's where it set them, else the defaults."""
        own = {
            m: Entitlements(**(asdict(DEFAULT_ENTITLEMENTS[m]) | e.model_dump(exclude_unset=True)))
            for m, e in self.engagement_entitlements.items()
        }
        return DEFAULT_ENTITLEMENTS | own

    gc_freeze: bool = Field(
        default=True, description="freeze start-up objects and run the cyclic collector less often (see runtime.py)"
    )

    kafka_client_id: str | None = None
    kafka_request_timeout_ms: int = Field(default=10_000, ge=1_000)

    database_url: str = Field(description="postgresql:// URL of the service's own role")
    db_schema: str = Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=10, ge=1)

    api_keys: list[ApiKey] = Field(
        default_factory=list,
        description='JSON: [{"actor": "ana@acme.io", "role": "viewer", "token_sha256": "<hex>"}] (roles: see README)',
    )

    outbox_poll_interval_s: float = Field(default=0.05, gt=0, le=10)
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)

    loop_max_down_s: float = Field(
        default=300, gt=0, description="/livez fails once a background loop has failed this long without a success"
    )
    dedup_window_days: int = Field(
        default=30, ge=30, description="event ids remembered by each consumer's inbox (a redelivery inside is a no-op)"
    )

    retention_interval_s: float = Field(default=3600, gt=0, description="how often old rows are deleted")
    retention_batch: int = Field(default=5000, ge=100, le=100_000, description="rows deleted per statement")

    otel_exporter_otlp_endpoint: str | None = None
    otel_kafka_record_spans: bool = Field(default=False, description="aiokafka instrumentation: a span per record")

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError("must be a postgresql:// URL")
        if not parts.hostname:
            raise ValueError("must name a host")
        return value

    @property
    def dedup_window(self) -> timedelta:
        return timedelta(days=self.dedup_window_days)

    def prod_problems(self) -> list[str]:
        """What production refuses in this service's settings (each names its variable)."""
        from bellwether_shared import prod

        return prod.problems(self)

    @model_validator(mode="after")
    def _production(self) -> ServiceSettings:
        if self.environment == "prod" and (found := self.prod_problems()):
            raise ValueError("ENVIRONMENT=prod refuses: " + "; ".join(found))
        return self


def load_settings(cls: type[S], **overrides: object) -> S:
    """Build settings or exit with a message naming each bad field (fail fast, never half-configured)."""
    try:
        return cls(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [f"invalid configuration for {cls.__name__}:"]
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(settings)"
            lines.append(f"  {field.upper()}: {err['msg']}")
        print("\n".join(lines), file=sys.stderr)
        raise SystemExit(2) from None
