"""Books of business: per owner, accounts and ARR by tier against capacity per tier, and the hours a
year the accounts' promised touches take (the engagement model's entitlements) against a CSM's hours
for them: twenty mid-tier accounts served one-to-many are a lighter book than twenty a high-growth
potential makes high touch, though the count is the same.

A mixed book is measured by utilisation, the sum over tiers of accounts ÷ that tier's capacity
(5 strategic of 15 plus 20 mid of 40 is 0.83); above 1.0 the owner is over capacity. Accounts
whose deal CS rejected at hand-off still take the CSM's time, so they count in the workload; they are
counted apart too (``rejected_accounts``), because they leave the CSM's retention figures (what a CSM
is measured and paid on: see the retention report by CSM). An account whose open renewal and open
expansion have different owners is flagged (``split_accounts``): the customer wants one accountable
person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bellwether_shared.engagement import (
    DEFAULT_ENTITLEMENTS,
    TOUCH_HOURS_PER_CSM_YEAR,
    Entitlements,
    Growth,
    Model,
    Spend,
    decide,
    spend_of,
    touch_hours_per_year,
)


@dataclass(frozen=True, slots=True)
class Holding:
    owner_id: str
    account_id: str
    tier: str | None
    arr: float
    rejected_deal: bool = False
    renewal_owner: str | None = None  # of the account's open renewal
    expansion_owners: tuple[str, ...] = ()  # of its open expansions
    growth: Growth | None = None  # what decides how it is served (bellwether_shared.engagement)
    preference: Model | None = None
    crm_model: Model | None = None

    @property
    def engagement(self) -> Model:
        choice = decide(
            tier=self.tier,
            growth=self.growth,
            preference=self.preference,
            crm_model=self.crm_model,
            arr=self.arr or None,
        )
        return choice.model


def split_ownership(h: Holding) -> bool:
    """Two people sell to the customer at once: an open renewal and an open expansion, other owners."""
    return h.renewal_owner is not None and any(o != h.renewal_owner for o in h.expansion_owners)


@dataclass(slots=True)
class TierLoad:
    accounts: int = 0
    arr: float = 0.0
    capacity: int | None = None


@dataclass(slots=True)
class Book:
    owner_id: str
    accounts: int = 0
    arr: float = 0.0
    rejected_accounts: int = 0  # in the workload above; out of the owner's retention figures
    by_tier: dict[str, TierLoad] = field(default_factory=dict)
    utilisation: float = 0.0
    touch_hours: float = 0.0  # a year, for the promised touches of its accounts
    touch_utilisation: float = 0.0  # touch_hours ÷ the hours a CSM has for them
    over_capacity: bool = False  # by accounts per tier, or by promised touches
    split_accounts: list[str] = field(default_factory=list)  # renewal and expansion owned by different people


def books(
    holdings: Iterable[Holding],
    capacity: Mapping[str, int],
    touch_hours: float = TOUCH_HOURS_PER_CSM_YEAR,
    promises: Mapping[Model, Entitlements] = DEFAULT_ENTITLEMENTS,
) -> list[Book]:
    out: dict[str, Book] = {}
    # what decides an account's touches takes a handful of values: decided once per combination, and
    # each model's hours once (per account, at 100,000 accounts, they were most of GET /v1/books)
    hours = {m: touch_hours_per_year(p) for m, p in promises.items()}
    models: dict[tuple[str | None, Growth | None, Model | None, Model | None, Spend | None], Model] = {}
    for h in holdings:
        book = out.setdefault(h.owner_id, Book(h.owner_id))
        if h.rejected_deal:
            book.rejected_accounts += 1
        if split_ownership(h):
            book.split_accounts.append(h.account_id)
        tier = h.tier or "unassigned"
        load = book.by_tier.setdefault(tier, TierLoad(capacity=capacity.get(tier)))
        load.accounts += 1
        load.arr += h.arr
        book.accounts += 1
        book.arr += h.arr
        key = (h.tier, h.growth, h.preference, h.crm_model, spend_of(h.arr or None))
        model = models.get(key) or models.setdefault(key, h.engagement)
        book.touch_hours += hours[model]
    for book in out.values():
        book.utilisation = round(
            sum(load.accounts / load.capacity for load in book.by_tier.values() if load.capacity), 3
        )
        book.touch_hours = round(book.touch_hours, 1)
        book.touch_utilisation = round(book.touch_hours / touch_hours, 3)
        book.over_capacity = book.utilisation > 1.0 or book.touch_utilisation > 1.0
        book.arr = round(book.arr, 2)
    return sorted(out.values(), key=lambda b: (-b.utilisation, b.owner_id))
