"""Commands: what a use case asks a repository to record, typed (a row taken apart into columns;
a JSON document kept whole is a ``Document``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bellwether_shared.documents import Document
from renewals.domain.policy import Decision


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """A contract's terms as recorded: entered, opened by a closed-won deal (``deal_id``), or rolled
    forward from the one before (``origin_deal_id``: the deal it descends from)."""

    contract_id: str
    account_id: str
    start_date: date
    end_date: date
    term_months: int
    arr: float
    deal_id: str | None = None
    list_price: float | None = None
    discount_pct: float | None = None
    products: Sequence[str] = ()
    origin_deal_id: str | None = None
    temporary_discount_label: str | None = None
    temporary_discount_expires_on: date | None = None

    @staticmethod
    def discount_of(temporary: Mapping[str, Any] | None) -> dict[str, Any]:
        """The temporary discount's two columns from its ``{label, expires_on}`` (None: no discount)."""
        if not temporary:
            return {}
        return {
            "temporary_discount_label": temporary["label"],
            "temporary_discount_expires_on": temporary["expires_on"],
        }


@dataclass(frozen=True, slots=True)
class NewOpportunity:
    """An opportunity as opened: a contract's renewal, or an expansion (by hand, or ``source`` readiness
    with the signals' reasons), owned as the policy decided."""

    opportunity_id: str
    account_id: str
    kind: str
    arr: float
    owner: Decision
    source: str
    contract_id: str | None = None
    growth_type: str | None = None
    renewal_date: date | None = None
    signal_reasons: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class NewReview:
    """A closed-won deal's review as opened: who sold it, the CRM's hand-off answers as they came
    (``answers``: None when the CRM sent none), and what they scored."""

    deal_id: str
    account_id: str
    ae: str | None
    lead_source: str | None
    lead_score: float | None
    answers: Document | None
    discount_pct: float
    score: float | None
    band: str
    flags: list[Document]
