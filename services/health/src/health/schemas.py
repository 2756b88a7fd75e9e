"""HTTP models of the health API: scorecards and milestone definitions (validated, every error names
its field), and the answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bellwether_shared.http import RequestModel
from health.domain.model import MeasureSpec, MeasureType, ScalePoint, Scorecard, Thresholds
from health.domain.scoring import ScaleError, check_scale


class Point(RequestModel):
    raw: float
    score: float = Field(ge=0, le=100)


class MeasureIn(RequestModel):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    type: MeasureType
    weight: float = Field(gt=0, le=100)
    params: dict[str, Any] = Field(default_factory=dict)
    scale: list[Point] = Field(min_length=2, max_length=50, description="raw value → 0-100, piecewise linear, monotone")

    @field_validator("scale")
    @classmethod
    def _monotone(cls, points: list[Point]) -> list[Point]:
        try:
            check_scale([ScalePoint(p.raw, p.score) for p in points])
        except ScaleError as exc:
            raise ValueError(str(exc)) from None
        return points

    @model_validator(mode="after")
    def _params(self) -> MeasureIn:
        window = self.params.get("window_days")
        if window is not None and (not isinstance(window, int) or not 1 <= window <= 365):
            raise ValueError("params.window_days must be a whole number of days from 1 to 365")
        if self.type is MeasureType.FEATURE_BREADTH:
            features = self.params.get("features")
            if not isinstance(features, list) or not features or not all(isinstance(f, str) for f in features):
                raise ValueError("params.features must list the key feature (event) names")
        return self


class ThresholdsIn(RequestModel):
    red_below: float = Field(40, ge=0, le=100)
    green_from: float = Field(70, ge=0, le=100)

    @model_validator(mode="after")
    def _order(self) -> ThresholdsIn:
        if self.red_below > self.green_from:
            raise ValueError("red_below must not exceed green_from")
        return self


SCORECARD_EXAMPLE: dict[str, Any] = {
    "name": "Enterprise health",
    "tiers": ["strategic"],
    "segments": [],
    "thresholds": {"red_below": 45, "green_from": 75},
    "measures": [
        {
            "key": "active_users",
            "type": "active_users",
            "weight": 3,
            "params": {"window_days": 30},
            "scale": [{"raw": 0, "score": 0}, {"raw": 0.5, "score": 70}, {"raw": 0.8, "score": 100}],
        },
        {
            "key": "breadth",
            "type": "feature_breadth",
            "weight": 2,
            "params": {"window_days": 30, "features": ["Report Exported", "Alert Configured", "Workflow Created"]},
            "scale": [{"raw": 0, "score": 0}, {"raw": 100, "score": 100}],
        },
        {
            "key": "champion",
            "type": "champion",
            "weight": 2,
            "params": {"window_days": 90},
            "scale": [{"raw": 0, "score": 0}, {"raw": 100, "score": 100}],
        },
    ],
}


class ScorecardIn(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SCORECARD_EXAMPLE]})
    name: str = Field(min_length=1, max_length=200)
    segments: list[str] = Field(default_factory=list, max_length=100, description="accounts in these segments use it")
    tiers: list[str] = Field(default_factory=list, max_length=100, description="accounts in these tiers use it")
    lifecycle_stages: list[Literal["onboarding", "adopting", "mature", "at_risk", "churned"]] = Field(
        default_factory=list, max_length=5, description="accounts in these lifecycle stages use it (before tiers)"
    )
    is_default: bool = False
    thresholds: ThresholdsIn = Field(default_factory=lambda: ThresholdsIn(red_below=40, green_from=70))
    min_measures: int = Field(2, ge=1, le=50)
    min_weight_share: float = Field(0.5, gt=0, le=1)
    measures: list[MeasureIn] = Field(min_length=1, max_length=50)

    @field_validator("measures")
    @classmethod
    def _unique_keys(cls, measures: list[MeasureIn]) -> list[MeasureIn]:
        keys = [m.key for m in measures]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"measure keys must be unique; repeated: {', '.join(dupes)}")
        return measures

    def definition(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"name", "segments", "tiers", "lifecycle_stages", "is_default"})


def scorecard_from_row(row: Any) -> Scorecard:
    d = row["definition"]
    return Scorecard(
        id=row["id"],
        version=row["version"],
        name=row["name"],
        measures=tuple(
            MeasureSpec(
                m["key"],
                MeasureType(m["type"]),
                float(m["weight"]),
                tuple(ScalePoint(p["raw"], p["score"]) for p in m["scale"]),
                m.get("params") or {},
            )
            for m in d["measures"]
        ),
        thresholds=Thresholds(**d.get("thresholds", {})),
        min_measures=d.get("min_measures", 2),
        min_weight_share=d.get("min_weight_share", 0.5),
    )


class ScorecardOut(ScorecardIn):
    model_config = ConfigDict(extra="ignore")
    id: str
    version: int
    created_at: datetime
    rescore_job_id: int | None = None


MILESTONE_EXAMPLE: dict[str, Any] = {
    "key": "weekly-report-habit",
    "name": "Three users run the weekly report four weeks running",
    "event": "Report Run",
    "filters": {"report": "weekly"},
    "threshold": 3,
    "distinct_users": True,
    "window_days": 7,
    "recurrence_weeks": 4,
    "deadline_days": 60,
}


class MilestoneIn(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [MILESTONE_EXAMPLE]})
    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    event: str = Field(min_length=1, max_length=255, description="the usage event (track name) that counts")
    filters: dict[str, str | int | float | bool] = Field(default_factory=dict, description="property equality")
    threshold: int = Field(ge=1, le=1_000_000)
    distinct_users: bool = False
    window_days: int = Field(ge=1, le=365)
    recurrence_weeks: int | None = Field(None, ge=1, le=52, description="in each of N consecutive weeks")
    deadline_days: int = Field(ge=1, le=3650, description="days after onboarding start")
    is_key: bool = Field(False, description="a key milestone: missing it alerts the CSM by default")


class MeasureOut(BaseModel):
    key: str
    type: str
    raw: float | None
    score: float | None
    weight: float
    contribution: float
    detail: str | None = Field(None, description="what the raw value stands for, in words")


class ReasonOut(BaseModel):
    key: str
    delta: float
    text: str


class HealthOut(BaseModel):
    account_id: str
    value: float
    colour: Literal["red", "yellow", "green", "unknown"]
    sufficient: bool = Field(description="false: too little data for a trustworthy score")
    scorecard_id: str
    scorecard_version: int
    measures: list[MeasureOut]
    reasons: list[ReasonOut] = Field(description="what moved it since the previous score")
    computed_at: datetime
    trend: dict[str, dict[str, Any]]


class MilestoneStateOut(BaseModel):
    key: str
    name: str
    state: Literal["pending", "achieved", "missed"]
    achieved_on: date | None
    time_to_value_days: int | None


# ----------------------------------------------------------------------------- champions, goals, segments


class SegmentFilters(RequestModel):
    colour: Literal["red", "yellow", "green", "unknown"] | None = None
    segment: str | None = Field(None, max_length=200)
    tier: str | None = Field(None, max_length=200)
    owner: str | None = Field(None, max_length=200)
    lifecycle_stage: Literal["onboarding", "adopting", "mature", "at_risk", "churned"] | None = None
    min_score: float | None = Field(None, ge=0, le=100)
    max_score: float | None = Field(None, ge=0, le=100)
    trend: Literal["up", "down", "flat"] | None = None
    max_trend_7d: float | None = Field(None, ge=-100, le=100, description="fell at least this far in 7 days")
    max_healthy_champions: int | None = Field(None, ge=0, le=100)


class SegmentIn(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    filters: SegmentFilters


class SegmentOut(BaseModel):
    key: str
    name: str
    filters: dict[str, Any]
    builtin: bool
    updated_at: datetime


class CalibrationIn(RequestModel):
    model_config = ConfigDict(extra="forbid")
    days_before: int = Field(30, ge=0, le=365, description="each renewal's score this many days before its date")
    holdout: float = Field(0.3, ge=0.1, le=0.5, description="share of the renewals kept out of the fit, to judge it")
    min_outcomes: int = Field(20, ge=10, le=100_000, description="fewer closed renewals: no suggestion")


class CalibrationOut(BaseModel):
    id: int
    card_id: str
    card_version: int
    params: dict[str, Any]
    result: dict[str, Any] = Field(
        description="status, outcomes, AUC of the current and suggested weights on "
        "held-out renewals, suggested weights, coefficients, notes"
    )
    created_at: datetime
    applied_version: int | None
    applied_at: datetime | None


class HistoryRebuild(RequestModel):
    model_config = ConfigDict(extra="forbid")
    account_ids: list[str] = Field(min_length=1, max_length=1000)
    since: date = Field(description="the first day to score")
    until: date | None = Field(None, description="the last day to score (default yesterday)")


class HistoryRebuilt(BaseModel):
    since: date
    until: date
    scores_written: dict[str, int] = Field(description="history rows written per account")
