"""What a PromQL expression reads: the metric names and the label matchers on each (enough to check
that dashboards and alert rules only name what the services export)."""

from __future__ import annotations

import re

KEYWORDS = frozenset(
    {
        "and",
        "or",
        "unless",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "offset",
        "inf",
        "nan",
    }
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_CLAUSE = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_RANGE = re.compile(r"\[[^\]]*\]")
_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)?\{([^}]*)\}")
_NAME = re.compile(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()")
_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"')


def selectors(expr: str) -> dict[str, set[str]]:
    """Metric name → label names it is matched on, for every metric the expression reads."""
    found: dict[str, set[str]] = {}
    for m in _SELECTOR.finditer(expr):
        if m.group(1):
            found.setdefault(m.group(1), set()).update(_MATCHER.findall(m.group(2)))
    bare = _SELECTOR.sub(lambda m: m.group(1) or "", _RANGE.sub("", _CLAUSE.sub("", _STRING.sub('""', expr))))
    for name in _NAME.findall(bare):
        if name.lower() not in KEYWORDS and not re.fullmatch(r"\d.*", name):
            found.setdefault(name, set())
    return found


_GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)")


def grouping(expr: str) -> set[str]:
    """Label names the expression aggregates or joins on (``by``, ``without``, ``on``, ``ignoring``)."""
    return {
        label.strip()
        for m in _GROUPING.finditer(_STRING.sub('""', expr))
        for label in m.group(1).split(",")
        if label.strip()
    }
