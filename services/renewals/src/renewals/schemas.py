"""HTTP models of the renewals API (requests are strict: unknown fields are refused, and every
error names its field)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from bellwether_shared.http import RequestModel
from renewals.domain.lifecycle import CHURN_REASONS, NEEDS_REASON, ChurnReason
from renewals.domain.policy import GrowthType, Model

MAX_MONEY = 1e12  # a trillion a year: anything beyond is a typo or an attack, and breaks sums downstream
Stage = Literal["upcoming", "in_progress", "committed"]
Outcome = Literal["renewed", "expanded", "downgraded", "churned"]
OwnerRole = Literal["csm", "ae", "renewal_owner"]


class TemporaryDiscountIn(RequestModel):
    """Part of the price is a discount granted for a while: its end is a renewal-risk reason."""

    label: str = Field(min_length=1, max_length=200, description="what it was for, e.g. 'first-year ramp'")
    expires_on: date


class ContractIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contract_id": "C-1001",
                    "account_id": "acme",
                    "start_date": "2026-01-01",
                    "term_months": 12,
                    "arr": 48000,
                    "list_price": 60000,
                    "products": ["core"],
                }
            ]
        },
    )
    contract_id: str = Field(min_length=1, max_length=200)
    account_id: str = Field(min_length=1, max_length=200)
    start_date: date
    end_date: date | None = Field(default=None, description="default: start_date + term_months")
    term_months: int = Field(ge=1, le=120)
    arr: float = Field(ge=0, le=MAX_MONEY)
    list_price: float | None = Field(
        default=None, ge=0, le=MAX_MONEY, description="annual list price; gives the discount"
    )
    products: list[str] = Field(default_factory=list, max_length=100)
    temporary_discount: TemporaryDiscountIn | None = None

    @model_validator(mode="after")
    def _dates(self) -> ContractIn:
        if self.end_date is not None and self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        return self


class ExpansionIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"account_id": "acme", "growth_type": "new_product", "arr": 12000, "close_by": "2026-09-30"}]
        },
    )
    account_id: str = Field(min_length=1, max_length=200)
    growth_type: GrowthType
    arr: float = Field(gt=0, le=MAX_MONEY, description="expected ARR of the expansion")
    close_by: date | None = None


class OwnerIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"owner_id": "maria@vendor.io", "role": "csm", "reason": "territory change"},
                {"owner_id": None, "reason": "back to policy"},
            ]
        },
    )
    owner_id: str | None = Field(description="null: hand the opportunity back to the ownership policy")
    role: OwnerRole | None = None
    reason: str = Field(min_length=1, max_length=500)


class AccountOwnersIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"csm": "maria@vendor.io", "reason": "new book"}]},
    )
    csm: str | None = None
    ae: str | None = None
    renewal_owner: str | None = None
    reason: str = Field(min_length=1, max_length=500)


class StageIn(RequestModel):
    stage: Stage


class CloseIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"outcome": "expanded", "arr_change": 6000},
                {"outcome": "churned", "reason": "value_not_realised", "note": "never adopted"},
            ]
        },
    )
    outcome: Outcome
    arr_change: float = Field(
        default=0.0, ge=-MAX_MONEY, le=MAX_MONEY, description="new ARR minus old; must be -ARR for churned"
    )
    reason: ChurnReason | None = Field(None, description="why, for a churn or a downgrade (required for those)")
    note: str | None = Field(None, max_length=2000)
    list_price: float | None = Field(
        None, ge=0, le=MAX_MONEY, description="the next term's annual list price (default: this term's)"
    )
    temporary_discount: TemporaryDiscountIn | None = Field(None, description="granted with the next term")

    @model_validator(mode="after")
    def _sign(self) -> CloseIn:
        if self.outcome == "expanded" and self.arr_change <= 0:
            raise ValueError("arr_change must be positive when the outcome is expanded")
        if self.outcome == "downgraded" and self.arr_change >= 0:
            raise ValueError("arr_change must be negative when the outcome is downgraded")
        if self.outcome in NEEDS_REASON and self.reason is None:
            raise ValueError(f"reason: required when the outcome is {self.outcome} ({', '.join(CHURN_REASONS)})")
        return self


class PolicyIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model": "split",
                    "ae_renewal_min_arr": None,
                    "ae_expansion_min_arr": 100000,
                    "growth_type_decides": True,
                    "renewals_team": False,
                }
            ]
        },
    )
    model: Model
    ae_renewal_min_arr: float | None = Field(default=None, ge=0, le=MAX_MONEY)
    ae_expansion_min_arr: float | None = Field(default=None, ge=0, le=MAX_MONEY)
    growth_type_decides: bool = Field(
        True, description="refine by growth type: more of the same to the CSM, new product/division to the AE"
    )
    renewals_team: bool = False


class RiskWeightsIn(RequestModel):
    """Points per risk factor and the threshold; what is left out keeps its default."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"red": 45, "champion_departed": 35, "at_risk_points": 40}]},
    )
    red: float | None = Field(default=None, ge=0, le=100)
    yellow: float | None = Field(default=None, ge=0, le=100)
    falling: float | None = Field(default=None, ge=0, le=100)
    falling_by: float | None = Field(default=None, gt=0, le=100, description="points of drop that count as falling")
    champion_departed: float | None = Field(default=None, ge=0, le=100)
    value_missed: float | None = Field(default=None, ge=0, le=100, description="the last value review: missed")
    value_partially_met: float | None = Field(default=None, ge=0, le=100)
    exposure_high: float | None = Field(default=None, ge=0, le=100)
    exposure_moderate: float | None = Field(default=None, ge=0, le=100)
    deep_discount: float | None = Field(default=None, ge=0, le=100)
    deep_discount_pct: float | None = Field(default=None, gt=0, le=100)
    per_missed_milestone: float | None = Field(default=None, ge=0, le=100)
    max_missed_milestones: float | None = Field(default=None, ge=0, le=100)
    per_severe_ticket: float | None = Field(default=None, ge=0, le=100)
    max_severe_tickets: float | None = Field(default=None, ge=0, le=100)
    per_deal_flag: float | None = Field(default=None, ge=0, le=100)
    max_deal_flags: float | None = Field(default=None, ge=0, le=100)
    no_healthy_champion: float | None = Field(default=None, ge=0, le=100)
    low_severity_high_exposure: float | None = Field(default=None, ge=0, le=100)
    low_severity_up_to: int | None = Field(default=None, ge=1, le=5, description="a problem this severe or less")
    at_risk_points: float | None = Field(default=None, gt=0, le=1000)


class CapacityIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"tiers": {"strategic": 15, "mid": 40, "scale": 200}}]},
    )
    tiers: dict[str, int] = Field(min_length=1, description="accounts one owner can carry, per tier")

    @model_validator(mode="after")
    def _positive(self) -> CapacityIn:
        for tier, n in self.tiers.items():
            if n < 1:
                raise ValueError(f"tiers.{tier}: capacity must be at least 1")
        return self


class ChurnRatesIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"red": 0.35, "yellow": 0.15, "green": 0.04, "unknown": 0.12}]},
    )
    red: float = Field(ge=0, le=1)
    yellow: float = Field(ge=0, le=1)
    green: float = Field(ge=0, le=1)
    unknown: float = Field(ge=0, le=1)


class ExposureChurnRatesIn(RequestModel):
    """Churn rates per industry exposure level (the forecast's `basis=exposure` and its what-ifs)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"high": 0.25, "moderate": 0.12, "low": 0.05, "unknown": 0.12}]}
    )
    high: float = Field(ge=0, le=1)
    moderate: float = Field(ge=0, le=1)
    low: float = Field(ge=0, le=1)
    unknown: float = Field(0.12, ge=0, le=1)
