"""SIGTERM stops a service within a bounded time even when Kafka has gone away (Kubernetes sends
SIGKILL after the grace period; a process that hangs until then loses its chance to finish cleanly)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import health_env, notifications_env, renewals_env
from devkit.infra import localinfra
from devkit.services import ServiceProcess


@pytest.mark.parametrize("service", ["health", "renewals", "notifications"])
def test_sigterm_with_kafka_gone_exits_within_the_grace_period(
    service, own_broker, health_db, renewals_db, notifications_db, smtp, tmp_path
) -> None:
    bootstrap = own_broker.bootstrap  # type: ignore[attr-defined]
    env = {
        "health": lambda: health_env(health_db, bootstrap),
        "renewals": lambda: renewals_env(renewals_db, bootstrap),
        "notifications": lambda: notifications_env(notifications_db, bootstrap, smtp.port),
    }[service]()
    svc = ServiceProcess(service, env, tmp_path / f"{service}.log").start()
    try:
        own_broker.stop()  # type: ignore[attr-defined]
        t0 = time.monotonic()
        code = svc.stop(signal.SIGTERM, timeout=25)
        took = time.monotonic() - t0
    finally:
        svc.stop(signal.SIGKILL)
    print(f"{service} stopped in {took:.1f}s with {code}")
    assert took < 5, f"{service} took {took:.1f}s to stop"
    # uvicorn re-raises the signal after its graceful shutdown: -SIGTERM is a clean exit, -SIGKILL is not
    assert code in (0, -signal.SIGTERM), f"{service} exited with {code}"


@pytest.fixture
def own_postgres(tmp_path) -> Iterator[object]:
    node = localinfra.PostgresNode(tmp_path / "pg" / "data", localinfra.free_port())
    node.start()
    yield node
    node.stop()


@pytest.mark.parametrize("service", ["health", "renewals", "notifications"])
def test_sigterm_with_kafka_and_postgres_gone_exits_within_the_grace_period(
    service, own_broker, own_postgres, smtp, tmp_path
) -> None:
    from conftest import migrated

    bootstrap = own_broker.bootstrap  # type: ignore[attr-defined]
    db = migrated(own_postgres.url, service)  # type: ignore[attr-defined]
    env = {
        "health": lambda: health_env(db, bootstrap),
        "renewals": lambda: renewals_env(db, bootstrap),
        "notifications": lambda: notifications_env(db, bootstrap, smtp.port),
    }[service]()
    svc = ServiceProcess(service, env, tmp_path / f"{service}.log").start()
    try:
        own_postgres.stop()  # type: ignore[attr-defined]
        # a record to consume while the database is down: the consumer backs off (0.2 s doubling to 10 s)
        asyncio.run(_publish_one(bootstrap, service))
        _wait_for_backoff(tmp_path / f"{service}.log", at_least_s=3.0)
        own_broker.stop()  # type: ignore[attr-defined]
        t0 = time.monotonic()
        code = svc.stop(signal.SIGTERM, timeout=40)
        took = time.monotonic() - t0
    finally:
        svc.stop(signal.SIGKILL)
    print(f"{service} stopped in {took:.1f}s with {code}")
    # without the interruptible backoff the stop waits out the rest of a 3.2 s backoff; with it ~0.3 s
    assert took < 2, f"{service} took {took:.1f}s to stop"
    assert code in (0, -signal.SIGTERM), f"{service} exited with {code}"


def _wait_for_backoff(log: Path, *, at_least_s: float, timeout: float = 60.0) -> None:
    """Until the service logs a database retry whose backoff is at least ``at_least_s`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if '"database unavailable; retrying batch"' in line:
                with contextlib.suppress(ValueError):
                    if json.loads(line).get("delay_s", 0) >= at_least_s:
                        return
        time.sleep(0.1)
    raise AssertionError(f"no retry with a backoff of {at_least_s}s or more within {timeout}s")


async def _publish_one(bootstrap: str, service: str) -> None:
    """An event the service consumes (health: usage; renewals and notifications: a health change)."""
    import uuid
    from datetime import UTC, datetime

    from bellwether_shared.events import health as hev
    from bellwether_shared.kafka import create_producer, publish
    from devkit.events import usage_envelope

    now = datetime.now(UTC)
    if service == "health":
        env = usage_envelope(f"sd-{uuid.uuid4()}", "sd-acct", event="E", user="u", timestamp=now)
    else:
        env = hev.HealthColourChanged(
            account_id="sd-acct", old_colour=None, new_colour="red", value=20, reasons=[], computed_at=now
        ).envelope(event_id=str(uuid.uuid4()), source="bellwether/health")
    producer = create_producer(bootstrap, client_id="shutdown-test")
    await producer.start()
    try:
        await publish(producer, [env], timeout_s=30)
    finally:
        await producer.stop()
