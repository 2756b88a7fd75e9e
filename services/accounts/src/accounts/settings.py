"""Account-view settings (environment variables, upper case). Bad values stop the process at start-up."""

from __future__ import annotations

from pydantic import Field, SecretStr

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
