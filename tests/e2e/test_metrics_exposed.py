"""Every metric a dashboard panel or an alert rule reads is one a running service exports on
``/metrics``, with the labels the query matches on: the service named by the query's
``service="…"`` (or any, for the overview), after real traffic went through all of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.support.promql import grouping, selectors
from tests.support.wait import eventually
from tools.monitoring import alerts, dashboards

ROOT = Path(__file__).resolve().parents[2]
SCRAPED = {"service", "pod", "namespace", "job", "instance"}  # added by Prometheus, not the process


def _exposed(text: str) -> dict[str, set[str]]:
    """Sample name → its label names."""
    found: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, set()).update(sample.labels)
    return found


def _queries() -> list[tuple[str, str]]:
    """(where, expr) of every dashboard target and every rule."""
    out = [
        (f"{name} / {panel['title']}", target["expr"])
        for name, board in dashboards.dashboards(alerts.SERVICES).items()
        for panel in board["panels"]
        for target in panel["targets"]
    ]
    for svc in alerts.SERVICES:
        doc = yaml.safe_load((ROOT / "deploy" / "k8s" / "base" / svc / "prometheusrule.yaml").read_text())
        out += [
            (f"{svc} rule {r.get('alert') or r.get('record')}", r["expr"])
            for g in doc["spec"]["groups"]
            for r in g["rules"]
        ]
    return out


def _recorded() -> set[str]:
    return {
        r["record"]
        for svc in alerts.SERVICES
        for g in yaml.safe_load((ROOT / "deploy" / "k8s" / "base" / svc / "prometheusrule.yaml").read_text())["spec"][
            "groups"
        ]
        for r in g["rules"]
        if "record" in r
    }


def _missing(exposed: dict[str, dict[str, set[str]]]) -> list[str]:
    union: dict[str, set[str]] = {}
    for metrics in exposed.values():
        for name, labels in metrics.items():
            union.setdefault(name, set()).update(labels)
    problems = []
    recorded = _recorded()
    for where, expr in _queries():
        service = next((s for s in alerts.SERVICES if f'service="{s}"' in expr), None)
        metrics = exposed[service] if service else union
        read = selectors(expr)
        for name, labels in read.items():
            if name in recorded:
                continue
            if name not in metrics:
                problems.append(f"{where}: {name} is not exported by {service or 'any service'}")
            elif unknown := labels - SCRAPED - metrics[name]:
                problems.append(f"{where}: {name} has no label {sorted(unknown)}")
        if not read.keys() & recorded:  # a recorded series' labels are its rule's, checked with the rule
            offered = set().union(*(metrics.get(name, set()) for name in read)) | SCRAPED | {"le"}
            if unknown := grouping(expr) - offered:
                problems.append(f"{where}: groups by {sorted(unknown)}, which none of {sorted(read)} has")
    return problems


async def test_dashboards_and_alerts_name_only_exported_metrics(
    ingest: Any, health: Any, renewals: Any, notifications: Any, accounts: Any, source: Any, run_id: str
) -> None:
    services = {
        "ingest": ingest,
        "health": health,
        "renewals": renewals,
        "notifications": notifications,
        "accounts": accounts,
    }
    assert set(services) == set(alerts.SERVICES)
    async with httpx.AsyncClient(timeout=15) as http:
        batch = {
            "batch": [
                {"type": "track", "userId": f"u-{run_id}", "event": "Exported", "context": {"groupId": f"a-{run_id}"}},
                {"type": "track", "userId": f"u-{run_id}"},  # no event name: rejected, naming the field
            ]
        }
        r = await http.post(f"{ingest.url}/v1/batch", json=batch, auth=(source.write_key, ""))
        assert r.status_code == 200 and r.json()["accepted"] == 1 and r.json()["rejected"][0]["field"] == "event"
        for svc in services.values():  # one request each, so the HTTP server metrics exist
            await http.get(f"{svc.url}/openapi.json")

        async def complete() -> dict[str, dict[str, set[str]]] | None:
            exposed = {name: _exposed((await http.get(f"{svc.url}/metrics")).text) for name, svc in services.items()}
            return exposed if not _missing(exposed) else None

        try:
            await eventually(complete, timeout=60, what="every queried metric exported", interval=1.0)
        except AssertionError:
            exposed = {name: _exposed((await http.get(f"{svc.url}/metrics")).text) for name, svc in services.items()}
            raise AssertionError("\n".join(_missing(exposed))) from None


def test_the_check_catches_a_misspelt_metric_and_label() -> None:
    exposed = {s: {"bellwether_loop_failures_total": {"loop"}} for s in alerts.SERVICES}
    problems = _missing(exposed)
    assert any("http_server_duration_milliseconds_count is not exported" in p for p in problems)
    assert not any("bellwether_loop_failures_total is not" in p for p in problems)
    exposed = {s: {"http_server_duration_milliseconds_count": {"http_method"}} for s in alerts.SERVICES}
    assert any(
        "http_server_duration_milliseconds_count has no label ['http_status_code']" in p for p in _missing(exposed)
    )
    assert any("groups by ['loop']" in p for p in _missing(exposed))  # by (loop) over a metric without it
