"""The renewal lifecycle (pure): what closing a renewal does to the contract, and why customers leave.

* Renewed, expanded or downgraded: the contract rolls forward: a new term from the old end date, the
  same length, the new ARR (old ARR + the change); its own renewal opens in time, as for any contract.
  Each term carries its own list price (the closing may state a new one; else the old one stands) and
  its own discount from them, so a concession at renewal shows as the deeper discount it is.
* Churned or downgraded: a reason from one taxonomy, so the reports can say why ARR was lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from bellwether_shared.dates import add_months as add_months  # re-exported: renewals dates contracts by it
from bellwether_shared.pricing import discount_pct

ChurnReason = Literal["price", "value_not_realised", "champion_left", "product_gaps", "budget", "acquired", "other"]
CHURN_REASONS: tuple[str, ...] = (
    "price",
    "value_not_realised",
    "champion_left",
    "product_gaps",
    "budget",
    "acquired",
    "other",
)
NEEDS_REASON = frozenset({"churned", "downgraded"})


@dataclass(frozen=True, slots=True)
class Term:
    contract_id: str
    start_date: date
    end_date: date
    term_months: int
    arr: float
    list_price: float | None = None
    discount_pct: float | None = None  # from this term's ARR and list price


def next_term(
    *,
    contract_id: str,
    end_date: date,
    term_months: int,
    arr: float,
    arr_change: float,
    outcome: str,
    list_price: float | None = None,
    new_list_price: float | None = None,
) -> Term | None:
    """The contract's next term after this outcome (None: churned, nothing rolls forward)."""
    if outcome == "churned":
        return None
    new_arr = round(max(0.0, arr + arr_change), 2)
    price = new_list_price if new_list_price is not None else list_price
    return Term(
        f"{contract_id}@{end_date.isoformat()}",
        end_date,
        add_months(end_date, term_months),
        term_months,
        new_arr,
        price,
        discount_pct(arr=new_arr, list_price=price) if price is not None else None,
    )
