"""The hand-off's API shapes: a closed-won deal with its qualification, the answers recorded at kickoff,
and a rejection proposed and decided."""

from __future__ import annotations

from datetime import date

from pydantic import ConfigDict, Field

from bellwether_shared.events.ingest import Qualification
from bellwether_shared.http import MAX_TEXT, RequestModel
from renewals.domain.deal_quality import Criterion
from renewals.schemas import MAX_MONEY


class QualificationIn(Qualification):
    """The hand-off answers: the shared event model's fields (one definition), strict on input."""

    model_config = ConfigDict(extra="forbid", str_max_length=MAX_TEXT, frozen=True)


class DealIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "deal_id": "D-77",
                    "account_id": "acme",
                    "arr": 40000,
                    "list_price": 64000,
                    "term_months": 12,
                    "start_date": "2026-02-01",
                    "ae": "sam@vendor.io",
                    "lead_source": "webinar",
                    "lead_score": 72,
                    "qualification": {
                        "problem_severity": 2,
                        "expected_duration_months": 9,
                        "buying_department_fit": True,
                        "champion_fit": False,
                        "technology_ready": True,
                        "services_sold_hours": 10,
                        "services_needed_hours": 40,
                    },
                }
            ]
        },
    )
    deal_id: str = Field(min_length=1, max_length=200)
    account_id: str = Field(min_length=1, max_length=200)
    arr: float = Field(ge=0, le=MAX_MONEY)
    list_price: float = Field(ge=0, le=MAX_MONEY)
    term_months: int = Field(ge=1, le=120)
    start_date: date
    products: list[str] = Field(default_factory=list, max_length=100)
    ae: str | None = None
    lead_source: str | None = None
    lead_score: float | None = Field(default=None, ge=0, le=100)
    qualification: QualificationIn | None = Field(
        default=None, description="the hand-off answers; without them the review opens as answers_missing"
    )


class AnswersIn(RequestModel):
    """The hand-off answers CS records or amends at kickoff (the review is re-scored, the change audited)."""

    answers: QualificationIn
    note: str | None = Field(default=None, max_length=2000, description="why they differ from the CRM's")


class RejectionIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"failed_criteria": ["severe_problem", "right_buyer"], "note": "bought by IT for marketing; no owner"}
            ]
        },
    )
    failed_criteria: list[Criterion] = Field(min_length=1, max_length=20)
    note: str | None = Field(default=None, max_length=2000)


class DecisionIn(RequestModel):
    note: str | None = Field(default=None, max_length=2000)
