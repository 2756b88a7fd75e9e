"""Renewals settings (environment variables, upper case). Bad values stop the process at start-up."""

from __future__ import annotations

from pydantic import Field

from bellwether_shared.roles import ApiKey
from bellwether_shared.settings import ServiceSettings
from renewals.reassess import Horizon


class RenewalsSettings(ServiceSettings):
    service_name: str = "renewals"
    http_port: int = Field(default=8083, ge=1, le=65535)
    db_schema: str = "renewals"

    api_keys: list[ApiKey] = Field(
        min_length=1, description='JSON: [{"actor": "ana@acme.io", "role": "vp_cs", "token_sha256": "<hex>"}]'
    )

    consumer_group: str = "renewals"
    consumer_max_records: int = Field(default=2000, ge=1, le=50_000)

    renewal_lead_days: int = Field(default=120, ge=1, le=730, description="open a renewal this long before the end")
    sweep_interval_s: float = Field(default=3600, gt=0, description="windows, new renewals and risk re-checked")
    sweep: bool = Field(default=True, description="run the sweep in this process")
    health_trend_days: int = Field(default=30, ge=1, le=365, description="window of the 'health falling' factor")
    learned_rates_days_before: int = Field(
        default=90,
        ge=0,
        le=730,
        description="learned churn rates read each closed renewal's colour this many days before its date",
    )
    learned_rates_min_samples: int = Field(default=30, ge=1, description="closed renewals per colour to learn from")

    def horizon(self) -> Horizon:
        return Horizon(lead_days=self.renewal_lead_days, trend_days=self.health_trend_days, tiers=self.tiers)
