"""The renewal lifecycle (pure): what closing a renewal does to the contract, and why customers leave.

* Renewed, expanded or downgraded: the contract rolls forward: a new term from the old end date, the
  same length, the new ARR (old ARR + the change); its own renewal opens in time, as for any contract.
* Churned or downgraded: a reason from one taxonomy, so the reports can say why ARR was lost.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Literal

ChurnReason = Literal["price", "value_not_realised", "champion_left", "product_gaps", "budget", "acquired", "other"]
CHURN_REASONS: tuple[str, ...] = ("price", "value_not_realised", "champion_left", "product_gaps", "budget",
                                  "acquired", "other")  # fmt: skip
NEEDS_REASON = frozenset({"churned", "downgraded"})


def add_months(d: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class Term:
    contract_id: str
    start_date: date
    end_date: date
    term_months: int
    arr: float


def next_term(
    *, contract_id: str, end_date: date, term_months: int, arr: float, arr_change: float, outcome: str
) -> Term | None:
    """The contract's next term after this outcome (None: churned, nothing rolls forward)."""
    if outcome == "churned":
        return None
    new_arr = max(0.0, arr + arr_change)
    return Term(f"{contract_id}@{end_date.isoformat()}", end_date, add_months(end_date, term_months), term_months,
                round(new_arr, 2))  # fmt: skip
