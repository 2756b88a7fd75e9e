"""Alert rules: an event type, conditions on the event's and the account's attributes, a severity
and recipients (roles of the account's owners, or named people). Evaluation says which conditions
held, so every alert records why it fired."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    INFO = 10
    LOW = 20
    MEDIUM = 30
    HIGH = 40
    CRITICAL = 50

    @classmethod
    def parse(cls, name: str) -> Severity:
        return cls[name.upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "exists", "contains")
ROLES = ("csm", "ae", "renewal_owner", "vp")


@dataclass(frozen=True, slots=True)
class Condition:
    field: str  # "event.<attr>" or "account.<attr>" (tier, arr, colour, days_to_renewal, ...)
    op: str
    value: Any = None

    def holds(self, facts: Mapping[str, Any]) -> bool:
        got = lookup(facts, self.field)
        if self.op == "exists":
            return (got is not None) == bool(self.value if self.value is not None else True)
        if got is None:
            return False
        try:
            match self.op:
                case "eq":
                    return bool(got == self.value)
                case "ne":
                    return bool(got != self.value)
                case "lt":
                    return bool(got < self.value)
                case "lte":
                    return bool(got <= self.value)
                case "gt":
                    return bool(got > self.value)
                case "gte":
                    return bool(got >= self.value)
                case "in":
                    return got in self.value
                case "not_in":
                    return got not in self.value
                case "contains":
                    return self.value in got
        except TypeError:  # e.g. comparing a string with a number: the condition does not hold
            return False
        raise ValueError(f"op: unknown operator '{self.op}'")

    def describe(self, facts: Mapping[str, Any]) -> str:
        return f"{self.field} {self.op} {self.value!r} (is {lookup(facts, self.field)!r})"


def lookup(facts: Mapping[str, Any], path: str) -> Any:
    cur: Any = facts
    for part in path.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    name: str
    event_type: str
    severity: Severity
    conditions: tuple[Condition, ...] = ()
    recipient_roles: tuple[str, ...] = ("csm",)
    recipient_people: tuple[str, ...] = ()
    dedupe_window_s: int = 3600
    key_fields: tuple[str, ...] = ()  # event fields that make two alerts different (beyond rule + account)
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Match:
    rule: Rule
    why: str
    key: str
    recipients: tuple[str, ...] = field(default_factory=tuple)


def evaluate(rule: Rule, event_type: str, facts: Mapping[str, Any]) -> Match | None:
    """The match (with the reasons and the de-duplication key) when the rule fires for this event."""
    if not rule.enabled or rule.event_type != event_type:
        return None
    if not all(c.holds(facts) for c in rule.conditions):
        return None
    why = f"rule '{rule.name}' on {event_type}"
    if rule.conditions:
        why += " because " + " and ".join(c.describe(facts) for c in rule.conditions)
    account = lookup(facts, "event.account_id") or "-"
    key = ":".join([rule.rule_id, str(account), *(str(lookup(facts, f"event.{k}")) for k in rule.key_fields)])
    return Match(rule, why, key, recipients(rule, facts))


def recipients(rule: Rule, facts: Mapping[str, Any]) -> tuple[str, ...]:
    """People ids: the account's owner in each role the rule names, then the named people (``$event.<field>``
    names a person carried by the event, e.g. the new owner); once each."""
    out: list[str] = []
    owners = lookup(facts, "account.owners") or {}
    for role in rule.recipient_roles:
        who = owners.get(role)
        if isinstance(who, str):
            out.append(who)
        elif isinstance(who, Sequence):
            out.extend(str(w) for w in who)
    for person in rule.recipient_people:
        if person.startswith("$"):
            who = lookup(facts, person[1:])
            if isinstance(who, str) and who:
                out.append(who)
        else:
            out.append(person)
    return tuple(dict.fromkeys(out))
