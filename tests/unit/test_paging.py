"""One paging style for every list: the shared page bodies, and every service's lists as its OpenAPI
document describes them (a list that takes ``limit`` pages by ``offset`` or by ``before_id``, at most
1,000 rows a page)."""

from __future__ import annotations

import hashlib
import importlib
import json
from typing import Any

import pytest
from hypothesis import given, strategies as st

from bellwether_shared.paging import CursorPage, Page, cursor_page, page

SERVICES = ("ingest", "health", "renewals", "notifications", "accounts")
# a time series read by window (since=...), not a list paged through: the one exception, and why
WINDOWED = {("health", "/v1/accounts/{account_id}/health/history")}


@given(n=st.integers(0, 50), limit=st.integers(1, 50), offset=st.integers(0, 1000))
def test_a_full_page_points_at_the_next_and_a_short_one_is_the_last(n: int, limit: int, offset: int) -> None:
    rows = [{"id": i} for i in range(min(n, limit))]
    body = page(rows, limit=limit, offset=offset, legacy="rules")
    assert Page[dict[str, Any]].model_validate(body).items == rows
    assert body["next_offset"] == (offset + limit if len(rows) == limit else None)
    assert body["rules"] == body["items"], "the deprecated name carries the same rows"


@given(ids=st.lists(st.integers(1, 10_000), unique=True, max_size=20), limit=st.integers(1, 20))
def test_a_cursor_page_continues_before_its_last_row(ids: list[int], limit: int) -> None:
    rows = [{"id": i} for i in sorted(ids, reverse=True)[:limit]]
    body = cursor_page(rows, limit=limit)
    CursorPage[dict[str, Any]].model_validate(body)
    assert body["next_before_id"] == (rows[-1]["id"] if len(rows) == limit else None)
    assert "offset" not in body


def _openapi(service: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    token = "t" * 32
    keys = [{"actor": "a@example.com", "role": "admin", "token_sha256": hashlib.sha256(token.encode()).hexdigest()}]
    env = {"DATABASE_URL": "postgresql://u:p@127.0.0.1:1/db", "ADMIN_TOKEN": token, "API_TOKEN": token}
    env |= {"SECRETS_KEY": "s" * 44, "API_KEYS": json.dumps(keys)}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    settings = importlib.import_module(f"{service}.settings")
    cls = next(v for k, v in vars(settings).items() if k.lower() == f"{service}settings")
    app = importlib.import_module(f"{service}.app").create_app(cls())
    spec: dict[str, Any] = app.openapi()
    return spec


@pytest.mark.parametrize("service", SERVICES)
def test_every_list_pages_one_way(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lists = 0
    for path, ops in _openapi(service, monkeypatch)["paths"].items():
        params = {p["name"]: p for p in ops.get("get", {}).get("parameters", [])}
        if "limit" not in params or (service, path) in WINDOWED:
            continue
        lists += 1
        assert {"offset", "before_id"} & set(params), f"{path}: a list pages by offset or before_id"
        assert params["limit"]["schema"]["maximum"] <= 1000, f"{path}: at most 1,000 rows a page"
    assert lists >= 2, "every service has lists"
