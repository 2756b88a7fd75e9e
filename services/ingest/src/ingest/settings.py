"""Ingest settings (environment variables, upper case). Bad values stop the process at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from bellwether_shared.objectives import Template, merged
from bellwether_shared.secretbox import SecretBox
from bellwether_shared.settings import ServiceSettings
from ingest.objective_schemas import TemplateIn


class IngestSettings(ServiceSettings):
    service_name: str = "ingest"
    http_port: int = Field(default=8081, ge=1, le=65535)
    db_schema: str = "ingest"

    admin_token: SecretStr = Field(min_length=16, description="Bearer token of the admin API")

    secrets_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="encrypts senders' signing secrets at rest (32+ chars); without it no source can have one",
    )
    secrets_keys_previous: list[SecretStr] = Field(
        default_factory=list, description="JSON list of earlier SECRETS_KEY values: still decrypt, never encrypt"
    )
    write_key_headers: list[str] = Field(
        default_factory=lambda: ["x-write-key"],
        description="JSON list of header names a sender may put its write key in (besides Authorization)",
    )

    objective_templates: dict[str, TemplateIn] = Field(
        default_factory=dict,
        description="JSON: the company's objective templates by key, over bellwether_shared.objectives' defaults",
    )

    def templates(self) -> dict[str, Template]:
        return merged({key: t.template(key) for key, t in self.objective_templates.items()})

    max_request_bytes: int = Field(default=500 * 1024, ge=1024)
    max_event_bytes: int = Field(default=32 * 1024, ge=256)
    max_batch_events: int = Field(default=2500, ge=1)

    default_rate_limit_eps: int = Field(default=5000, ge=1, description="events/s per source")
    default_burst: int = Field(default=10000, ge=1, description="token bucket size per source")

    future_skew_s: int = Field(
        default=300, ge=0, le=86_400, description="how far past its receipt an event's own time may lie"
    )
    publish_timeout_s: float = Field(default=5.0, gt=0, le=60)
    unavailable_retry_after_s: int = Field(default=5, ge=1)
    auth_cache_ttl_s: float = Field(default=5.0, ge=0)
    identity_cache_ttl_s: float = Field(default=10.0, ge=0)
    identity_cache_size: int = Field(default=100_000, ge=0)

    kafka_linger_ms: int = Field(default=5, ge=0, le=1000)
    kafka_producer_client: Literal["aiokafka", "librdkafka"] = Field(
        default="aiokafka",
        description="the client the accepting routes publish with (librdkafka: about half the CPU per record)",
    )

    rejected_retention_days: int = Field(default=30, ge=1, description="rejected events kept for operators this long")
    unattributed_retention_days: int = Field(
        default=30, ge=1, description="events whose account never became known are dropped after this long"
    )

    def secret_box(self) -> SecretBox | None:
        if self.secrets_key is None:
            return None
        previous = [k.get_secret_value() for k in self.secrets_keys_previous]
        return SecretBox(self.secrets_key.get_secret_value(), previous)

    @model_validator(mode="after")
    def _limits(self) -> IngestSettings:
        if self.max_event_bytes > self.max_request_bytes:
            raise ValueError("max_event_bytes must not exceed max_request_bytes")
        if self.default_burst < self.default_rate_limit_eps // 10:
            raise ValueError("default_burst is too small for default_rate_limit_eps")
        return self
