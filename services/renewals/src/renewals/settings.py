"""Renewals settings (environment variables, upper case). Bad values stop the process at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bellwether_shared.settings import ServiceSettings

Role = Literal["viewer", "csm", "vp_cs", "admin"]


class ApiKey(BaseModel):
    """One API key: who holds it and their role. Only the key's SHA-256 is configured, never the key."""

    actor: str = Field(min_length=1, max_length=200)
    role: Role
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


def _key_problems(keys: list[ApiKey]) -> list[str]:
    from bellwether_shared.prod import DEV_TOKEN_HASHES

    found: list[str] = []
    roles_by_hash: dict[str, str] = {}
    for k in keys:
        if k.token_sha256 in DEV_TOKEN_HASHES:
            found.append(f"API_KEYS: the key of {k.actor} is a development token")
        other = roles_by_hash.setdefault(k.token_sha256, k.role)
        if other != k.role:
            found.append(f"API_KEYS: one key for two roles ({other} and {k.role}); every role needs its own")
    return found


class RenewalsSettings(ServiceSettings):
    service_name: str = "renewals"
    http_port: int = Field(default=8083, ge=1, le=65535)
    db_schema: str = "renewals"

    api_keys: list[ApiKey] = Field(
        min_length=1, description='JSON: [{"actor": "ana@acme.io", "role": "vp_cs", "token_sha256": "<hex>"}]'
    )

    def prod_problems(self) -> list[str]:
        return super().prod_problems() + _key_problems(self.api_keys)

    consumer_group: str = "renewals"
    consumer_max_records: int = Field(default=2000, ge=1, le=50_000)

    renewal_lead_days: int = Field(default=120, ge=1, le=730, description="open a renewal this long before the end")
    sweep_interval_s: float = Field(default=3600, gt=0, description="windows, new renewals and risk re-checked")
    sweep: bool = Field(default=True, description="run the sweep in this process")
    health_trend_days: int = Field(default=30, ge=1, le=365, description="window of the 'health falling' factor")
    learned_rates_min_samples: int = Field(default=30, ge=1, description="closed renewals per colour to learn from")
