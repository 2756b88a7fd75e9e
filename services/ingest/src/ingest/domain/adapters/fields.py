"""Field mapping (pure): which of a sender's properties holds each of our signal fields, with defaults
per sender kind, validated; and reading a record through a mapping into a signal's fields.

A mapping is ``{"<object>": {"<our field>": "<their property or path>"}}``; objects are ``account``
(→ account.upserted), ``deal`` (→ deal.closed_won) and ``ticket`` (→ ticket.changed). Paths may be
dotted (``associations.associatedCompanyIds.0``); a HubSpot property object (``{"value": …}``) is
read as its value. A required field that is missing, or a value that cannot be read as its type,
is a :class:`Problem` naming their property and the reason."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

QUALIFICATION = {
    "problem_severity": "int",
    "expected_duration_months": "int",
    "buying_department_fit": "bool",
    "champion_fit": "bool",
    "technology_ready": "bool",
    "services_sold_hours": "number",
    "services_needed_hours": "number",
    "order_form_exceptions": "bool",
    "order_form_exceptions_documented": "bool",
}
ANSWERED = frozenset(list(QUALIFICATION)[:7])  # the hand-off answers a review needs (the rest default)
TARGETS: dict[str, dict[str, str]] = {  # object → our field → its type
    "account": {
        "account_id": "id",
        "name": "str",
        "arr": "number",
        "seats": "int",
        "tier": "str",
        "segment": "str",
        "industry": "str",
        "renewal_date": "date",
        "owners.csm": "str",
        "owners.ae": "str",
        "owners.renewal_owner": "str",
        "updated_at": "datetime",
    },
    "deal": {
        "deal_id": "id",
        "account_id": "id",
        "arr": "number",
        "list_price": "number",
        "term_months": "int",
        "lead_source": "str",
        "lead_score": "number",
        "ae": "str",
        "stage": "str",
        "closed_at": "datetime",
        **{f"qualification.{k}": t for k, t in QUALIFICATION.items()},
    },
    "ticket": {
        "ticket_id": "id",
        "account_id": "id",
        "status": "str",
        "severity": "str",
        "subject_line": "str",
        "requester_contact_id": "str",
        "opened_at": "datetime",
        "updated_at": "datetime",
        "contact_reason": "str",
    },
}
REQUIRED = {
    "account": {"account_id"},
    "deal": {"deal_id", "account_id", "arr", "list_price", "term_months"},
    "ticket": {"ticket_id", "account_id"},
}
SETTINGS = {  # other settings a source's config may carry, with their defaults per kind
    "closed_won_stages": ("hubspot", "salesforce"),
    "ticket_closed_stages": ("hubspot",),
    "ticket_opened_stages": ("hubspot",),
    "default_severity": ("hubspot", "salesforce", "zendesk", "intercom"),
    "organization_id": ("salesforce",),
    "accounts": ("hubspot", "salesforce", "zendesk", "intercom"),
    "contact_reasons": ("hubspot", "zendesk", "intercom"),
    "public_url": ("hubspot",),
}
_REASON = re.compile(r"[a-z][a-z0-9_]{0,59}")
_PATH = re.compile(r"^[A-Za-z0-9_$][A-Za-z0-9_.$:-]{0,199}$")


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    reason: str


class Unreadable(ValueError):
    pass


def pick(record: Any, path: str) -> Any:
    node = record
    for part in path.split("."):
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    if isinstance(node, Mapping) and "value" in node:  # a HubSpot property object
        node = node["value"]
    return None if node == "" else node


def _epoch(value: float) -> datetime:
    return datetime.fromtimestamp(value / 1000 if value > 10**11 else value, UTC)  # ms (HubSpot) or s


def _moment(value: Any) -> datetime:
    if isinstance(value, bool):
        raise Unreadable("is not a date")
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        return _epoch(float(value))
    try:
        at = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise Unreadable(f"'{str(value)[:40]}' is not a date") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _number(value: Any) -> float:
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(str(value).strip().replace(",", ""))
    except ValueError:
        raise Unreadable(f"'{str(value)[:40]}' is not a number") from None


def coerce(kind: str, value: Any) -> Any:
    if kind in ("id", "str"):
        if isinstance(value, Mapping | list):
            raise Unreadable("is not a single value")
        return str(value).strip()[:255]
    if kind == "number":
        return _number(value)
    if kind == "int":
        number = _number(value)
        if number != int(number):
            raise Unreadable(f"'{value}' is not a whole number")
        return int(number)
    if kind == "bool":
        text = str(value).strip().lower()
        if text in ("true", "yes", "1", "y"):
            return True
        if text in ("false", "no", "0", "n"):
            return False
        raise Unreadable(f"'{str(value)[:40]}' is not true or false")
    if kind == "date":
        text = str(value).strip()
        return (
            date.fromisoformat(text).isoformat()
            if len(text) == 10 and "-" in text
            else _moment(value).date().isoformat()
        )
    return _moment(value).isoformat()  # datetime


def _put(doc: dict[str, Any], field: str, value: Any) -> None:
    head, _, rest = field.partition(".")
    if rest:
        _put(doc.setdefault(head, {}), rest, value)
    else:
        doc[head] = value


def read(
    obj: str, record: Any, mapping: Mapping[str, str], *, required: Iterable[str] = ()
) -> tuple[dict[str, Any], list[Problem]]:
    """Our fields for ``obj`` from ``record`` through ``mapping`` (our field → their path)."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    needed = set(required) | REQUIRED[obj]
    for field, path in mapping.items():
        value = pick(record, path)
        if value is None:
            if field in needed:
                problems.append(Problem(path, f"is missing; it maps to {obj}.{field}, which is required"))
            continue
        try:
            _put(out, field, coerce(TARGETS[obj][field], value))
        except Unreadable as exc:
            problems.append(Problem(path, f"{obj}.{field}: {exc}"))
    if obj == "deal" and not ANSWERED.issubset(out.get("qualification", {})):
        out.pop("qualification", None)  # answers missing: the review opens so, and CS records them at kickoff
    return out, problems


def _field_problems(kind: str, objects: Iterable[str], value: Any) -> Iterable[Problem]:
    if not isinstance(value, Mapping):
        yield Problem("fields", "must be an object of object → {our field: their property}")
        return
    for obj, fields in value.items():
        if obj not in objects:
            yield Problem(f"fields.{obj}", f"{kind} maps only {', '.join(objects)}")
        elif not isinstance(fields, Mapping):
            yield Problem(f"fields.{obj}", "must be an object of our field → their property")
        else:
            for f, path in fields.items():
                if f not in TARGETS[obj]:
                    yield Problem(f"fields.{obj}.{f}", f"not a field of {obj}: one of {', '.join(TARGETS[obj])}")
                elif not isinstance(path, str) or not _PATH.match(path):
                    yield Problem(
                        f"fields.{obj}.{f}", "must be a property name or dotted path (letters, digits, _.$:-)"
                    )


def _setting_problem(key: str, value: Any) -> str | None:
    if key in ("closed_won_stages", "ticket_closed_stages", "ticket_opened_stages"):
        ok = isinstance(value, list) and value and all(isinstance(v, str) and 0 < len(v) <= 100 for v in value)
        return None if ok else "must be a non-empty list of stage ids"
    if key == "accounts":
        ok = isinstance(value, Mapping) and all(isinstance(v, str) and 0 < len(v) <= 255 for v in value.values())
        return None if ok else "must map their account ids to ours (strings)"
    if key == "contact_reasons":
        ok = isinstance(value, Mapping) and all(isinstance(v, str) and _REASON.fullmatch(v) for v in value.values())
        return None if ok else "must map their ticket types to contact reasons (how_to, bug, …)"
    if key == "default_severity":
        return None if value in ("low", "medium", "high", "urgent") else "must be low, medium, high or urgent"
    return None if isinstance(value, str) and 0 < len(value) <= 500 else "must be a non-empty string"


def check_config(kind: str, objects: Iterable[str], config: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with a source's config for ``kind``, each naming its place (``fields.deal.arr``)."""
    problems: list[Problem] = []
    for key, value in config.items():
        if key == "fields":
            problems.extend(_field_problems(kind, tuple(objects), value))
        elif key not in SETTINGS or kind not in SETTINGS[key]:
            known = ["fields", *(k for k, kinds in SETTINGS.items() if kind in kinds)]
            problems.append(Problem(key, f"not a {kind} setting: one of {', '.join(known)}"))
        elif (reason := _setting_problem(key, value)) is not None:
            problems.append(Problem(key, reason))
    return problems


def effective(defaults: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with the source's config (field by field for mappings)."""
    fields = {obj: {**m, **(config.get("fields") or {}).get(obj, {})} for obj, m in defaults["fields"].items()}
    return {**defaults, **config, "fields": fields}


def account_of(config: Mapping[str, Any], their_id: Any) -> Any:
    """Their account id as ours (``accounts`` translates; else unchanged)."""
    return (config.get("accounts") or {}).get(str(their_id), their_id) if their_id is not None else None


def reason_of(config: Mapping[str, Any], fields: dict[str, Any]) -> None:
    """Their ticket type or category as a contact reason (``contact_reasons``, case-insensitive); a
    type not in the map leaves the ticket unclassified rather than refused."""
    theirs = fields.pop("contact_reason", None)
    wanted = {str(k).strip().lower(): v for k, v in (config.get("contact_reasons") or {}).items()}
    reason = wanted.get(str(theirs).strip().lower()) if theirs is not None else None
    if reason is not None:
        fields["contact_reason"] = reason
