"""One tier vocabulary for every service (domain.md, Accounts and segmentation): the tiers a company
uses and, per tier, what each service reads of it: how many accounts a CSM can carry (capacity), how
many healthy influential champions it wants, how close to the renewal date a renewal at risk escalates
to the VP of CS, and whether its renewal always gets a person's task ("a strategic account gets a
person's time at each renewal; a long-tail account renews without a task unless something is wrong").

Configured once, in the environment every service reads (``TIERS``, JSON); an account's tier is
matched case-insensitively, aliases included (``enterprise`` is ``strategic`` by default); a tier not
named, or none, reads the ``default`` tier's policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TierPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    book_capacity: int = Field(ge=1, le=100_000, description="accounts one CSM can carry")
    champion_target: int = Field(ge=1, le=20, description="healthy influential champions wanted")
    escalate_within_days: int | None = Field(
        default=None, ge=0, le=3650, description="a renewal at risk this close to its date goes to the VP (null: never)"
    )
    renewal_task: Literal["always", "at_risk"] = Field(
        description="a renewal task at 90 days for every renewal, or only through the at-risk playbook"
    )


DEFAULT_POLICIES: dict[str, TierPolicy] = {
    "strategic": TierPolicy(book_capacity=15, champion_target=3, escalate_within_days=120, renewal_task="always"),
    "mid": TierPolicy(book_capacity=40, champion_target=2, escalate_within_days=30, renewal_task="at_risk"),
    "scale": TierPolicy(book_capacity=200, champion_target=1, escalate_within_days=None, renewal_task="at_risk"),
}


class Tiers(BaseModel):
    """The company's tiers. ``default`` names the tier whose policy an unknown or missing tier reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    policies: dict[str, TierPolicy] = Field(default_factory=lambda: dict(DEFAULT_POLICIES), min_length=1)
    aliases: dict[str, str] = Field(
        default_factory=lambda: {"enterprise": "strategic", "long_tail": "scale", "digital": "scale"}
    )
    default: str = "mid"

    @model_validator(mode="after")
    def _known(self) -> Tiers:
        names = {n.lower() for n in self.policies}
        if len(names) != len(self.policies):
            raise ValueError("policies: tier names must differ other than in case")
        if self.default.lower() not in names:
            raise ValueError(f"default: '{self.default}' is not one of the tiers {sorted(names)}")
        for alias, tier in self.aliases.items():
            if tier.lower() not in names:
                raise ValueError(f"aliases.{alias}: '{tier}' is not one of the tiers {sorted(names)}")
        return self

    def name(self, tier: str | None) -> str | None:
        """The vocabulary's name of ``tier`` (aliases resolved), None when it is not one of them."""
        if not tier:
            return None
        t = tier.strip().lower()
        t = self.aliases.get(t, t).lower()
        return next((n for n in self.policies if n.lower() == t), None)

    def policy(self, tier: str | None) -> TierPolicy:
        name = self.name(tier) or self.name(self.default)
        assert name is not None  # the default is one of the tiers (validated)
        return self.policies[name]

    def champion_targets(self) -> Mapping[str, int]:
        return {n: p.champion_target for n, p in self.policies.items()}

    def capacity(self) -> dict[str, int]:
        return {n: p.book_capacity for n, p in self.policies.items()}
