"""What an account's CRM record shows of Bellwether, decided without I/O.

CS platforms write their scores into the CRM so that sales and CS see them where they already look.
Six values go: the health score, its colour and trend, the renewal risk with its top reasons, and the
open task count. A value that is not known is not sent (missing data is never zero: an account without
a score shows nothing rather than 0), and only values that differ from what the CRM last acknowledged
are sent, so a write repeated after a crash, or an event delivered twice, changes nothing."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["hubspot", "salesforce"]
KINDS: tuple[Kind, ...] = ("hubspot", "salesforce")
Value = str | int | float

FIELDS = ("health_score", "health_colour", "health_trend", "renewal_risk", "renewal_risk_reasons", "open_tasks")

# The properties (HubSpot) and custom fields (Salesforce) an admin creates once; each can be renamed.
DEFAULT_FIELDS: dict[Kind, dict[str, str]] = {
    "hubspot": {f: f"bellwether_{f}" for f in FIELDS},
    "salesforce": {
        "health_score": "Bellwether_Health_Score__c",
        "health_colour": "Bellwether_Health_Colour__c",
        "health_trend": "Bellwether_Health_Trend__c",
        "renewal_risk": "Bellwether_Renewal_Risk__c",
        "renewal_risk_reasons": "Bellwether_Risk_Reasons__c",
        "open_tasks": "Bellwether_Open_Tasks__c",
    },
}
_NAMES: dict[Kind, re.Pattern[str]] = {
    "hubspot": re.compile(r"[a-z][a-z0-9_]{0,99}"),  # a property's internal name
    "salesforce": re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}"),  # a field's API name (custom ones end in __c)
}
MAX_BATCH: dict[Kind, int] = {"hubspot": 100, "salesforce": 200}  # the vendors' documented batch limits
TOP_REASONS = 3
TEXT_LIMIT = 255  # a Salesforce text field's longest; HubSpot takes it too


def fields_for(kind: Kind, overrides: Mapping[str, str]) -> dict[str, str]:
    """The destination's names for each value: the defaults overlaid with the admin's (``ValueError``
    naming ``fields.<value>`` when a value is unknown or a name is not one the CRM accepts)."""
    out = dict(DEFAULT_FIELDS[kind])
    for key, name in overrides.items():
        if key not in out:
            raise ValueError(f"fields.{key}: not a value Bellwether writes ({', '.join(FIELDS)})")
        if not _NAMES[kind].fullmatch(name):
            raise ValueError(
                f"fields.{key}: '{name[:60]}' is not a {kind} {'property' if kind == 'hubspot' else 'field'} name"
            )
        out[key] = name
    if len(set(out.values())) != len(out):
        raise ValueError("fields: two values would be written to the same name")
    return out


@dataclass(frozen=True, slots=True)
class Standing:
    """The account as the projection knows it (None: not known yet)."""

    score: float | None
    colour: str | None
    trend: str | None
    risk_level: str | None
    risk_reasons: tuple[tuple[float, str], ...]  # (points, text)
    open_tasks: int


def trend(*, delta: float | None, baseline: bool, steady_within: float = 1.0) -> str | None:
    """The direction of the latest meaningful change; a first score has none (it is not a change)."""
    if baseline or delta is None:
        return None
    if delta > steady_within:
        return "improving"
    if delta < -steady_within:
        return "declining"
    return "steady"


def reasons_text(reasons: tuple[tuple[float, str], ...]) -> str:
    """The top reasons by weight, most important first, within a text field's limit."""
    top = [text for _, text in sorted(reasons, key=lambda r: -r[0])[:TOP_REASONS]]
    joined = "; ".join(top)
    return joined if len(joined) <= TEXT_LIMIT else joined[: TEXT_LIMIT - 1] + "…"


def values(s: Standing) -> dict[str, Value]:
    """The values known for the account, by logical field."""
    out: dict[str, Value] = {"open_tasks": s.open_tasks}
    if s.score is not None:
        out["health_score"] = round(s.score)
    if s.colour is not None:
        out["health_colour"] = s.colour
    if s.trend is not None:
        out["health_trend"] = s.trend
    if s.risk_level is not None:
        out["renewal_risk"] = s.risk_level
        out["renewal_risk_reasons"] = reasons_text(s.risk_reasons) if s.risk_level != "none" else ""
    return out


def changes(desired: Mapping[str, Value], sent: Mapping[str, Value]) -> dict[str, Value]:
    """What the CRM does not show yet: values that differ from the last acknowledged ones."""
    return {k: v for k, v in desired.items() if k not in sent or sent[k] != v}


def named(changed: Mapping[str, Value], fields: Mapping[str, str]) -> dict[str, Value]:
    """Logical fields as the destination's property or field names."""
    return {fields[k]: v for k, v in changed.items() if k in fields}


def retry_in(attempts: int, *, base_s: float, cap_s: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter over the lower half: never less than half the step."""
    step = min(cap_s, base_s * 2.0 ** max(0, attempts - 1))
    draw = rng.random() if rng is not None else random.random()
    return step / 2 + draw * step / 2


@dataclass(frozen=True, slots=True)
class Pending:
    """A claimed write: the account, the version of its changes, what the CRM last acknowledged."""

    account_id: str
    version: int
    sent: Mapping[str, Value]
    attempts: int


@dataclass(frozen=True, slots=True)
class Planned:
    pending: Pending
    record_id: str
    changes: Mapping[str, Value]


@dataclass(slots=True)
class Plan:
    writes: list[Planned] = field(default_factory=list)
    unchanged: list[Pending] = field(default_factory=list)  # the CRM already shows every value
    unmapped: list[Pending] = field(default_factory=list)  # no record id in this CRM
    clashing: list[tuple[Pending, str]] = field(default_factory=list)  # another account has the same record


def plan(pending: Sequence[Pending], known: Mapping[str, tuple[Standing, str | None]]) -> Plan:
    """What to send for each claimed account: only the changed values, one input per CRM record."""
    out = Plan()
    taken: dict[str, str] = {}
    for p in pending:
        standing, record_id = known[p.account_id]
        if record_id is None:
            out.unmapped.append(p)
            continue
        if record_id in taken:
            out.clashing.append((p, f"record {record_id} is also account {taken[record_id]}'s"))
            continue
        changed = changes(values(standing), p.sent)
        if not changed:
            out.unchanged.append(p)
            continue
        taken[record_id] = p.account_id
        out.writes.append(Planned(p, record_id, changed))
    return out
