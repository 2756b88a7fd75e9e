"""Objective templates over the API: the company's own templates (``OBJECTIVE_TEMPLATES``), a template as
listed, and a request to start an account's goals from one."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bellwether_shared.objectives import Objective, Template

_strict = ConfigDict(extra="forbid", frozen=True)


class ObjectiveIn(BaseModel):
    model_config = _strict

    key: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=200)
    metric: str = Field(min_length=1, max_length=200, description="what shows the objective is reached")
    playbook: str = Field(min_length=1, max_length=100, description="the playbook that drives it")
    problem_severity: int = Field(default=3, ge=1, le=5)
    linked_event: str | None = Field(default=None, max_length=200, description="counted from this product event")
    window_days: int | None = Field(default=None, ge=1, le=365)
    target_change_pct: float | None = Field(default=None, ge=-100, le=1000)


class TemplateIn(BaseModel):
    model_config = _strict

    name: str = Field(min_length=1, max_length=200)
    customer_kind: str = Field(min_length=1, max_length=300, description="who usually buys for these")
    objectives: list[ObjectiveIn] = Field(min_length=1, max_length=6)

    def template(self, key: str) -> Template:
        objectives = tuple(Objective(**o.model_dump()) for o in self.objectives)
        return Template(key, self.name, self.customer_kind, objectives)


class ObjectiveOut(ObjectiveIn):
    pass


class TemplateOut(TemplateIn):
    key: str


class GoalsFromTemplate(BaseModel):
    """Start an account's goals from a template: one goal per objective, in progress, due in ``due_days``."""

    model_config = _strict

    template: str = Field(min_length=1, max_length=60)
    due_days: int = Field(default=180, ge=1, le=1095)
    message_id: str | None = Field(
        default=None, min_length=1, max_length=80, description="idempotency key: sent again, no goal doubles"
    )
