"""Ownership policy: who owns each renewal and each expansion (domain.md, People and ownership).

Three models (all-sales, split, all-CSM), refined by contract size and, when the company chooses
to, by the type of growth: "more of the same" (price increase, consumption, organic seats, feature
tier) suits the CSM; new products and new divisions suit the AE. The models alone follow the domain:
under split, AEs lead every upsell and cross-sell; growth type is an explicit refinement. Every
decision carries its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Model(StrEnum):
    ALL_SALES = "all_sales"  # AEs lead every commercial motion
    SPLIT = "split"  # CSMs renew, AEs upsell and cross-sell
    ALL_CSM = "all_csm"  # AEs sell to new logos only


class Motion(StrEnum):
    RENEWAL = "renewal"
    EXPANSION = "expansion"


class GrowthType(StrEnum):
    PRICE_INCREASE = "price_increase"
    CONSUMPTION = "consumption"
    ORGANIC_SEATS = "organic_seats"
    FEATURE_TIER = "feature_tier"
    NEW_PRODUCT = "new_product"
    NEW_DIVISION = "new_division"


CSM_GROWTH = frozenset(
    {GrowthType.PRICE_INCREASE, GrowthType.CONSUMPTION, GrowthType.ORGANIC_SEATS, GrowthType.FEATURE_TIER}
)


class Role(StrEnum):
    CSM = "csm"
    AE = "ae"
    RENEWAL_OWNER = "renewal_owner"


@dataclass(frozen=True, slots=True)
class Policy:
    model: Model = Model.SPLIT
    # renewals of contracts at or above this ARR stay with the AE (long, costly sales cycles)
    ae_renewal_min_arr: float | None = None
    # expansions of contracts at or above this ARR go to the AE (survey: sales ownership of
    # upsells rises with contract size)
    ae_expansion_min_arr: float | None = None
    # on by default (domain.md, "Growth type decides who sells it"): under split and all-CSM, more of
    # the same goes to the CSM, a new product or division to the AE
    growth_type_decides: bool = True
    # a renewals team: under split and all-CSM, renewals go to the account's renewal owner
    renewals_team: bool = False


@dataclass(frozen=True, slots=True)
class AccountOwners:
    csm: str | None = None
    ae: str | None = None
    renewal_owner: str | None = None

    def of(self, role: Role) -> str | None:
        return {Role.CSM: self.csm, Role.AE: self.ae, Role.RENEWAL_OWNER: self.renewal_owner}[role]


@dataclass(frozen=True, slots=True)
class Decision:
    role: Role
    owner_id: str | None
    reason: str


def _role_for(policy: Policy, motion: Motion, growth: GrowthType | None, arr: float) -> tuple[Role, str]:
    if motion is Motion.RENEWAL:
        if policy.model is Model.ALL_SALES:
            return Role.AE, "all-sales model: AEs own renewals"
        if policy.ae_renewal_min_arr is not None and arr >= policy.ae_renewal_min_arr:
            return Role.AE, f"contract ARR {arr:,.0f} ≥ {policy.ae_renewal_min_arr:,.0f}: the AE keeps large renewals"
        if policy.renewals_team:
            return Role.RENEWAL_OWNER, f"{policy.model.value} model with a renewals team"
        return Role.CSM, f"{policy.model.value} model: CSMs own renewals"
    if policy.model is Model.ALL_SALES:
        return Role.AE, "all-sales model: AEs own expansion"
    if policy.ae_expansion_min_arr is not None and arr >= policy.ae_expansion_min_arr:
        return Role.AE, f"contract ARR {arr:,.0f} ≥ {policy.ae_expansion_min_arr:,.0f}: the AE owns large expansions"
    if policy.growth_type_decides and growth is not None:
        if growth in CSM_GROWTH:
            return Role.CSM, f"{growth.value}: more-of-the-same growth belongs to the CSM"
        return Role.AE, f"{growth.value}: a new product or division belongs to the AE"
    if policy.model is Model.SPLIT:
        return Role.AE, "split model: AEs own upsell and cross-sell"
    return Role.CSM, "all-CSM model: CSMs own all commercial work with existing customers"


_FALLBACK = {Role.RENEWAL_OWNER: (Role.CSM, Role.AE), Role.CSM: (Role.AE,), Role.AE: (Role.CSM,)}


def decide(policy: Policy, *, motion: Motion, growth: GrowthType | None, arr: float, owners: AccountOwners) -> Decision:
    """The role that owns this motion and the person in that role (falling back when it is vacant)."""
    role, reason = _role_for(policy, motion, growth, arr)
    if (who := owners.of(role)) is not None:
        return Decision(role, who, reason)
    for other in _FALLBACK[role]:
        if (who := owners.of(other)) is not None:
            return Decision(other, who, f"{reason}; no {role.value} assigned, so the {other.value}")
    return Decision(role, None, f"{reason}; nobody assigned yet")


def in_book(*, role: str, actor: str, account_csm: str | None, owner_id: str | None) -> bool:
    """May this caller change this renewal? A CSM only within their own book: the account's CSM, or
    the opportunity's owner, is the caller (the API key's actor is their person id). VPs of CS and
    admins change any; nobody else writes."""
    if role in ("vp_cs", "admin"):
        return True
    return role == "csm" and actor in (account_csm, owner_id)
