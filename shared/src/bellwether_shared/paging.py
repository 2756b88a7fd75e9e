"""One page model for every list. Two ways to ask for the next page, each where it fits:

- ``Page``: by offset (``limit``, ``offset``; ``next_offset`` says where the next page starts), for lists
  ordered by a key that does not move while a reader pages (rules, people, contracts, tasks...);
- ``CursorPage``: by cursor (``before_id``; ``next_before_id``), for append-only logs read newest
  first (a timeline, rejections, the audit trail), where new rows arriving while a reader pages would
  shift every offset.

Both carry their rows in ``items``. Lists that used to carry them under a name of their own (``rules``,
``contracts``...) still do, beside ``items``, for one version: that key is deprecated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    limit: int = Field(description="rows asked for (at most 1,000)")
    offset: int = Field(description="rows skipped")
    next_offset: int | None = Field(description="the next page's offset (None: this page is the last)")


class CursorPage(BaseModel, Generic[T]):
    items: list[T] = Field(description="newest first")
    limit: int = Field(description="rows asked for (at most 1,000)")
    next_before_id: int | None = Field(description="the next page: pass it as before_id (None: no more)")


def page(items: Sequence[Any], *, limit: int, offset: int, legacy: str | None = None, **extra: Any) -> dict[str, Any]:
    """A ``Page`` as the body of an answer. A full page may have a next one; a short page is the last."""
    rows = list(items)
    body = {
        "items": rows,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(rows) == limit else None,
    }
    if legacy is not None:  # deprecated: the list's old name, for one version
        body[legacy] = rows
    return body | extra


def cursor_page(
    items: Sequence[Mapping[str, Any]], *, limit: int, legacy: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A ``CursorPage``: the next page starts before the last row's id (rows carry ``id``, newest first)."""
    rows = list(items)
    body = {"items": rows, "limit": limit, "next_before_id": rows[-1]["id"] if len(rows) == limit else None}
    if legacy is not None:
        body[legacy] = rows
    return body | extra
