"""Every service caps request bodies before routing and authentication: an oversized body gets 413
without credentials (not 401), declared or chunked; a body under the cap still reaches the route."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

ROUTES = {  # a write route of each service, called without credentials
    "ingest": ("/v1/sources", 500 * 1024),
    "health": ("/v1/scorecards", 1024 * 1024),
    "renewals": ("/v1/contracts/x", 1024 * 1024),
    "notifications": ("/v1/destinations", 1024 * 1024),
}


def _chunks(total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        n = min(64 * 1024, total - sent)
        sent += n
        yield b"x" * n


@pytest.mark.parametrize("service", sorted(ROUTES))
def test_oversized_bodies_are_refused_before_authentication(service: str, request: pytest.FixtureRequest) -> None:
    svc = request.getfixturevalue(service)
    path, limit = ROUTES[service]
    method = "PUT" if service == "renewals" else "POST"
    with httpx.Client(base_url=svc.url, timeout=30) as http:
        declared = http.request(method, path, content=b"x" * (limit + 1), headers={"Content-Type": "application/json"})
        chunked = http.request(
            method, path, content=_chunks(limit + 64 * 1024), headers={"Content-Type": "application/json"}
        )
        small = http.request(method, path, content=b"{}", headers={"Content-Type": "application/json"})
    assert declared.status_code == 413, declared.text
    assert declared.json()["code"] == "request_too_large" and str(limit) in declared.json()["message"]
    assert chunked.status_code == 413, chunked.text
    assert small.status_code == 401  # under the cap: the route answers (no credentials)


@pytest.mark.parametrize("service", ["ingest", "health"])
def test_a_client_still_sending_reads_the_413_not_a_reset(service: str, request: pytest.FixtureRequest) -> None:
    """The server answers before reading a refused body; it drains what the client is still sending, so
    the client reads the 413 instead of a connection reset (CI once saw httpx.ReadError here)."""
    svc = request.getfixturevalue(service)
    path, limit = ROUTES[service]
    with httpx.Client(base_url=svc.url, timeout=30) as http:
        for size in (limit * 2, limit * 6, limit * 30) * 3:
            declared = http.post(path, content=b"x" * size, headers={"Content-Type": "application/json"})
            assert declared.status_code == 413, declared.text
            chunked = http.post(path, content=_chunks(size), headers={"Content-Type": "application/json"})
            assert chunked.status_code == 413, chunked.text
