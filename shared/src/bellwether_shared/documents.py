"""A JSON document stored as it is (a ``jsonb`` column): configurations, tracking plans, definitions,
filters, audit details, notes, settings, answers. A repository parameter typed ``Document`` says "this
value is kept whole, not taken apart into columns"; a row that is taken apart into columns is a typed
command (a dataclass or a request model) instead, and the skeleton check refuses a bare ``dict`` there."""

from __future__ import annotations

from typing import Any

Document = dict[str, Any]
