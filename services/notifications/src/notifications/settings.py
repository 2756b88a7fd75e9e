"""Notifications settings (environment variables, upper case). Bad values stop the process at start-up."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from pydantic import Field, SecretStr, field_validator, model_validator

from bellwether_shared.secretbox import SecretBox
from bellwether_shared.settings import ServiceSettings
from notifications.domain.incidents import IncidentPolicy

SOURCE = "bellwether/notifications"  # the ce_source of the events notifications emits


class NotificationsSettings(ServiceSettings):
    service_name: str = "notifications"
    http_port: int = Field(default=8084, ge=1, le=65535)
    db_schema: str = "notifications"

    api_token: SecretStr = Field(min_length=16, description="Bearer token of the notifications API")
    secrets_key: SecretStr = Field(
        min_length=32, description="encrypts endpoint signing secrets at rest (Fernet key, or any 32+ char passphrase)"
    )

    secrets_keys_previous: list[SecretStr] = Field(
        default_factory=list, description="JSON list of earlier SECRETS_KEY values: still decrypt, never encrypt"
    )

    consumer_group: str = "notifications"
    consumer_max_records: int = Field(default=1000, ge=1, le=50_000)
    alert_max_age_s: float = Field(default=86400, gt=0, description="older events update state but alert nobody")

    delivery_concurrency: int = Field(default=16, ge=1, le=512, description="requests in flight per process")
    delivery_poll_s: float = Field(default=0.1, gt=0, le=10)
    delivery_lease_s: float = Field(
        default=60, gt=0, description="a claimed delivery is retried after this if its sender died"
    )
    task_sweep_s: float = Field(
        default=60, gt=0, le=3600, description="how often snoozed tasks wake, overdue ones alert"
    )
    http_timeout_s: float = Field(default=10, gt=0, le=60)
    max_response_bytes: int = Field(default=64 * 1024, ge=1024)
    retry_base_s: float = Field(default=5, gt=0)
    retry_cap_s: float = Field(default=6 * 3600, gt=0)
    retry_for_s: float = Field(default=3 * 24 * 3600, gt=0, description="give a delivery up after this long")
    disable_after_s: float = Field(default=3 * 24 * 3600, gt=0, description="disable an endpoint failing this long")
    secret_overlap_s: float = Field(default=24 * 3600, ge=0, description="old secret keeps signing after a rotation")
    allow_networks: list[str] = Field(
        default_factory=list,
        description='JSON list of CIDRs delivery may reach although not global, e.g. ["127.0.0.0/8"] (off by default)',
    )

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "bellwether@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None

    incident_window_s: float = Field(
        default=600,
        ge=0,
        le=86400,
        description="alerts about one account reaching one person within this long are one incident",
    )
    incident_group_wait_s: float = Field(
        default=5,
        ge=0,
        le=600,
        description="a new incident's message waits this long for more causes before it goes",
    )
    digest_hourly_s: float = Field(default=3600, gt=0, description="age of the oldest item when an hourly digest goes")
    digest_daily_s: float = Field(default=86400, gt=0)
    digest_check_s: float = Field(default=30, gt=0)
    crm_poll_s: float = Field(default=0.5, gt=0, le=60, description="how often the CRM writer looks for writes due")
    crm_batch: int = Field(
        default=100, ge=1, le=200, description="accounts per CRM request (vendor limits still apply)"
    )
    crm_retry_base_s: float = Field(default=5, gt=0, description="first wait after a failed CRM write (doubles)")
    workers: bool = Field(default=True, description="run the deliverer and digests in this process")

    delivery_retention_days: int = Field(
        default=30, ge=1, description="finished deliveries (with their attempts) and digests kept this long"
    )
    alert_retention_days: int = Field(default=90, ge=1, description="alerts and their outcomes kept this long")

    def prod_problems(self) -> list[str]:
        found = super().prod_problems()
        if self.allow_networks:
            found.append("ALLOW_NETWORKS: must be empty in production (deliveries reach global addresses only)")
        return found

    @field_validator("allow_networks")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"'{cidr}' is not a network (CIDR)") from None
        return value

    @model_validator(mode="after")
    def _lease_covers_a_send(self) -> NotificationsSettings:
        if self.delivery_lease_s < 3 * self.http_timeout_s:
            raise ValueError(
                "DELIVERY_LEASE_S must be at least 3 times HTTP_TIMEOUT_S (a send must end inside its lease)"
            )
        return self

    def box(self) -> SecretBox:
        return SecretBox(
            self.secrets_key.get_secret_value(), [k.get_secret_value() for k in self.secrets_keys_previous]
        )

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(c, strict=False) for c in self.allow_networks]

    def incident_policy(self) -> IncidentPolicy:
        return IncidentPolicy(
            window=timedelta(seconds=self.incident_window_s), group_wait=timedelta(seconds=self.incident_group_wait_s)
        )
