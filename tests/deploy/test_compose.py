"""`docker-compose.yml` brought up with podman (podman-compose) as an SRE would first try it: Kafka and
PostgreSQL from images configured like the official ones (local stand-ins, ``tools/compose.py``), the
one-shot topics and migration steps, the five services from their images, all on the host's network
on loopback ports of the test's choosing. Then a short demo through it: an account and its champion
in at ingest, a score out at health, the champion leaves, and a signed webhook reaches a real
receiver. Then it is taken down, volumes and all (``make containers`` runs this)."""

from __future__ import annotations

import json
import random
import secrets
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from devkit.infra import localinfra
from devkit.receiver import Receiver
from tools import demo_signals
from tools.compose import Stack
from tools.containers import PORTS

pytestmark = [pytest.mark.compose, pytest.mark.integration, pytest.mark.timeout(900)]
READY_S = 300  # five JVM-less services, but Kafka's JVM and PostgreSQL's initdb first, on two cores


def _ready(stack: Stack) -> None:
    """Every service answers /livez and /readyz (so its database and Kafka) within ``READY_S``."""
    deadline, waiting = time.monotonic() + READY_S, set(PORTS)
    while waiting and time.monotonic() < deadline:
        for name in sorted(waiting):
            try:
                if all(httpx.get(f"{stack.url(name)}{p}", timeout=2).status_code == 200 for p in ("/livez", "/readyz")):
                    waiting.discard(name)
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    if waiting:
        said = "\n".join(f"--- {n}\n{stack.logs(n)[-3000:]}" for n in sorted(waiting))
        pytest.fail(f"not ready within {READY_S} s: {sorted(waiting)}\n{said}")


def _containers(stack: Stack) -> list[dict[str, Any]]:
    out = subprocess.run(
        ["podman", "ps", "-a", "--format", "json", "--filter", f"label=io.podman.compose.project={stack.project}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return list(json.loads(out or "[]"))


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    names = ("kafka", "kafka_controller", "postgres", *PORTS)
    up = Stack(
        ports={n: localinfra.free_port() for n in names},
        allow_networks='["127.0.0.0/8"]',  # the webhook receiver is on loopback
        token=secrets.token_urlsafe(16),
    )
    try:
        up.up()
        _ready(up)
        yield up
    finally:
        up.down()
    assert _containers(up) == [], "compose down left containers behind"


def test_services_run_from_their_images_non_root_on_a_read_only_root(stack: Stack) -> None:
    running = {c["Labels"]["com.docker.compose.service"]: c for c in _containers(stack) if c["State"] == "running"}
    assert set(PORTS) | {"kafka", "postgres"} <= set(running)
    for name in PORTS:
        inspected = json.loads(
            subprocess.run(
                ["podman", "inspect", running[name]["Id"]], capture_output=True, text=True, check=True
            ).stdout
        )[0]
        assert inspected["ImageName"] == f"localhost/bellwether/{name}:dev"
        assert inspected["HostConfig"]["ReadonlyRootfs"] is True
        assert inspected["Config"]["User"] == "10001:10001"
    done = {
        c["Labels"]["com.docker.compose.service"]: c["ExitCode"] for c in _containers(stack) if c["State"] == "exited"
    }
    assert done == {"topics": 0, **{f"migrate-{n}": 0 for n in PORTS}}  # the one-shot steps, each succeeded


def _signals(http: httpx.Client, stack: Stack, key: str, batch: list[dict[str, Any]]) -> None:
    r = http.post(f"{stack.url('ingest')}/v1/signals", json={"batch": batch}, auth=(key, ""))
    assert r.status_code == 200, r.text


def _subscribe(http: httpx.Client, stack: Stack, receiver: Receiver) -> str:
    notify, auth = stack.url("notifications"), {"Authorization": f"Bearer {stack.token}"}
    r = http.post(
        f"{notify}/v1/destinations", headers=auth, json={"name": "r", "kind": "webhook", "target": receiver.url}
    )
    assert r.status_code == 201, r.text
    sub = {"destination_id": r.json()["destination_id"], "recipient": "*", "min_severity": "medium"}
    assert http.post(f"{notify}/v1/subscriptions", headers=auth, json=sub).status_code == 201
    return str(r.json()["signing_secret"])


def _eventually(what: str, check: Any, deadline_s: float = 120) -> Any:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.3)
    pytest.fail(f"{what}: not within {deadline_s} s")


def test_an_event_in_at_ingest_a_score_out_at_health_a_signed_webhook_received(stack: Stack) -> None:
    account, auth = f"compose-{secrets.token_hex(3)}", {"Authorization": f"Bearer {stack.token}"}
    receiver = Receiver().start()
    try:
        with httpx.Client(timeout=10) as http:
            secret = _subscribe(http, stack, receiver)
            r = http.post(
                f"{stack.url('ingest')}/v1/sources",
                headers=auth,
                json={"name": "compose", "scopes": ["usage", "identity", "signals:*"]},
            )
            assert r.status_code == 201, r.text
            key = r.json()["write_key"]
            _signals(http, stack, key, demo_signals.first_round(1, account, random.Random(7), users=3))
            track = [
                {
                    "type": "track",
                    "userId": f"{account}-u{i % 3}",
                    "event": "Report Exported",
                    "messageId": f"{account}-{i}",
                    "context": {"groupId": account},
                }
                for i in range(30)
            ]
            assert (
                http.post(f"{stack.url('ingest')}/v1/batch", json={"batch": track}, auth=(key, "")).status_code == 200
            )
            health = _eventually(
                "a score at health",
                lambda: (
                    (r := http.get(f"{stack.url('health')}/v1/accounts/{account}/health", headers=auth)).status_code
                    == 200
                    and r.json()
                ),
            )
            assert health["account_id"] == account and 0 <= health["value"] <= 100
            _signals(http, stack, key, demo_signals.champion_left(account))
        hook = _eventually(
            "the champion's departure as a signed webhook",
            lambda: next((q for q in receiver.requests if _alert(q.body, account) == "champion-departed"), None),
        )
    finally:
        receiver.stop()
    Webhook(secret).verify(hook.body, hook.headers)  # raises unless signed with the destination's secret


def _alert(body: bytes, account: str) -> str | None:
    doc = json.loads(body)
    return (
        str(doc.get("rule_id"))
        if doc.get("type") == "bellwether.alert.v1" and doc.get("account_id") == account
        else None
    )
