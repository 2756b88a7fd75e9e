"""Account-view settings (environment variables, upper case). Bad values stop the process at start-up."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from accounts.domain import headlines
from bellwether_shared.settings import ServiceSettings


class AccountsSettings(ServiceSettings):
    service_name: str = "accounts"
    http_port: int = Field(default=8085, ge=1, le=65535)
    db_schema: str = "accounts"

    api_token: SecretStr = Field(min_length=16, description="Bearer token of the account API (an admin key)")

    consumer_group: str = "accounts"
    consumer_max_records: int = Field(default=2000, ge=1, le=50_000)
    timeline_days: int = Field(default=730, ge=30, le=3650, description="timeline entries kept")
    score_history_days: int = Field(default=400, ge=90, le=3650, description="health scores kept for trends")
    report_headlines: list[str] = Field(
        default_factory=lambda: list(headlines.DEFAULT),
        description="JSON list: the executive report's headline figures (at most 4), from "
        + ", ".join(headlines.CATALOGUE),
    )

    peer_min_group: int = Field(
        default=5, ge=3, le=1000, description="peer benchmarks are shown from this many peers with the figure"
    )

    @field_validator("report_headlines")
    @classmethod
    def _headlines(cls, v: list[str]) -> list[str]:
        return headlines.check(v)
