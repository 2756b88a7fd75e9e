"""``make observe``'s Prometheus (Debian's package), pointed at the running services: it scrapes all
five with the ``service`` label, loads every alert rule, evaluates the consumer-lag recording rule,
and sees ingest's counter move when events arrive."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.wait import eventually
from tools.monitoring import alerts, observe_config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _query(http: httpx.AsyncClient, base: str, q: str) -> list[dict[str, Any]]:
    r = await http.get(f"{base}/api/v1/query", params={"query": q})
    r.raise_for_status()
    result: list[dict[str, Any]] = r.json()["data"]["result"]
    return result


@pytest.fixture
def prometheus_url(
    ingest: Any, health: Any, renewals: Any, notifications: Any, accounts: Any, tmp_path: Path
) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed: apt-get install prometheus (.ci/run does)")
    running = {
        "ingest": ingest,
        "health": health,
        "renewals": renewals,
        "notifications": notifications,
        "accounts": accounts,
    }
    config = observe_config(tmp_path, targets={k: urlsplit(v.url).netloc for k, v in running.items()})
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def test_prometheus_scrapes_every_service_and_loads_the_rules(
    prometheus_url: str, ingest: Any, source: Any, run_id: str
) -> None:
    base = prometheus_url
    async with httpx.AsyncClient(timeout=10) as http:

        async def all_up() -> bool:
            try:
                up = await _query(http, base, "up == 1")
            except httpx.HTTPError:
                return False
            return {r["metric"]["service"] for r in up} == set(alerts.SERVICES)

        await eventually(all_up, timeout=60, what="every service scraped and up", interval=0.5)
        rules = (await http.get(f"{base}/api/v1/rules")).json()["data"]["groups"]
        loaded = {r["name"] for g in rules for r in g["rules"] if r["type"] == "alerting"}
        assert {
            "BellwetherConsumerLagHigh",
            "BellwetherRescoreStalled",
            "BellwetherDeliveriesFailing",
            "BellwetherIngestRejectionsSpiking",
            "BellwetherOutboxBacklogOld",
        } <= loaded

        q = f'sum(bellwether_ingest_events_accepted_total{{service="ingest", source="{source.id}"}})'
        before = await _query(http, base, q)
        n_before = float(before[0]["value"][1]) if before else 0.0
        batch = {
            "batch": [
                {"type": "track", "userId": f"o-{run_id}", "event": "Seen", "context": {"groupId": f"obs-{run_id}"}}
                for _ in range(7)
            ]
        }
        r = await http.post(f"{ingest.url}/v1/batch", json=batch, auth=(source.write_key, ""))
        assert r.json()["accepted"] == 7

        async def moved() -> float | None:
            now = await _query(http, base, q)
            value = float(now[0]["value"][1]) if now else 0.0
            return value if value >= n_before + 7 else None

        assert await eventually(moved, timeout=30, what="the accepted counter moved", interval=0.5) >= n_before + 7

        async def lag_recorded() -> list[dict[str, Any]] | None:
            return await _query(http, base, 'bellwether:consumer_lag:sum{service="health"}') or None

        lag = await eventually(lag_recorded, timeout=30, what="the lag recording rule", interval=0.5)
        assert {r["metric"]["group"] for r in lag} and all(float(r["value"][1]) >= 0 for r in lag)

        async def evaluated() -> bool:
            groups = (await http.get(f"{base}/api/v1/rules")).json()["data"]["groups"]
            return all(r["health"] == "ok" for g in groups for r in g["rules"])

        await eventually(evaluated, timeout=30, what="every rule evaluated without error", interval=0.5)
