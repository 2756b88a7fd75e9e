"""Test fixtures shared by every suite: real Kafka and PostgreSQL (see devkit/infra.py)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hypothesis import settings as hypothesis_settings

from bellwether_shared.db import create_pool
from bellwether_shared.migrate import migrate
from bellwether_shared.topics import ensure_topics
from devkit.infra import Endpoints, provide
from devkit.receiver import SmtpServer
from devkit.services import ServiceProcess
from devkit.stack import (  # re-exported: the tests import them from here
    ADMIN_TOKEN as ADMIN_TOKEN,
    API_TOKEN as API_TOKEN,
    CSM_KEYS as CSM_KEYS,
    NOTIFICATIONS_TOKEN as NOTIFICATIONS_TOKEN,
    RENEWALS_KEYS as RENEWALS_KEYS,
    VIEWER_KEY as VIEWER_KEY,
    VP_KEY as VP_KEY,
    ServiceDb as ServiceDb,
    Source as Source,
    create_source as create_source,
    health_env as health_env,
    ingest_env as ingest_env,
    migrated as migrated,
    new_database as new_database,
    notifications_env as notifications_env,
    renewals_env as renewals_env,
    renewals_headers as renewals_headers,
    viewer_keys as viewer_keys,
)
from tests.support.otlp import OtlpReceiver

# property tests hold on a machine twice as slow: no per-example time limit (Hypothesis' default 200 ms
# failed a pure CRM test once on a loaded machine; a timing is the benchmarks' business, never a test's)
hypothesis_settings.register_profile("bellwether", deadline=None)
hypothesis_settings.load_profile("bellwether")


@pytest.fixture(scope="session")
def endpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    with provide(tmp_path_factory.mktemp("infra")) as ep:
        asyncio.run(ensure_topics(ep.kafka_bootstrap))
        yield ep


@pytest.fixture(scope="session")
def otlp() -> Iterator[OtlpReceiver]:
    """One OTLP receiver for the session: the shared services export their spans to it."""
    receiver = OtlpReceiver().start()
    yield receiver
    receiver.stop()


def traced(otlp: OtlpReceiver) -> dict[str, str]:
    """Environment of a service that exports its spans to ``otlp`` (batched every 200 ms)."""
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url, "OTEL_BSP_SCHEDULE_DELAY": "200"}


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Any]:
    """A broker of the test's own, so stopping it disturbs no other test."""
    from devkit.infra import localinfra

    node = localinfra.KafkaNode(tmp_path / "kafka", localinfra.free_port(), localinfra.free_port(), heap="384m")
    node.start()
    asyncio.run(ensure_topics(node.bootstrap))
    yield node
    node.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(endpoints: Endpoints) -> str:
    return endpoints.kafka_bootstrap


@pytest.fixture(scope="session")
def admin_db_url(endpoints: Endpoints) -> str:
    """A database of its own for this test session (admin role)."""
    return new_database(endpoints.admin_database_url)


@pytest.fixture(scope="session")
def ingest_db(admin_db_url: str) -> ServiceDb:
    return migrated(admin_db_url, "ingest")


@pytest.fixture(scope="session")
def ingest(
    ingest_db: ServiceDb,
    kafka_bootstrap: str,
    tmp_path_factory: pytest.TempPathFactory,
    otlp: OtlpReceiver,
) -> Iterator[ServiceProcess]:
    svc = ServiceProcess(
        "ingest",
        ingest_env(ingest_db, kafka_bootstrap, MAX_EVENT_BYTES="24576", **traced(otlp)),
        tmp_path_factory.mktemp("logs") / "ingest.log",
    ).start()
    yield svc
    svc.stop()


@pytest.fixture(scope="session")
def health_db(admin_db_url: str) -> ServiceDb:
    return migrated(admin_db_url, "health")


@pytest.fixture(scope="session")
def health(
    health_db: ServiceDb,
    kafka_bootstrap: str,
    ingest: ServiceProcess,
    tmp_path_factory: pytest.TempPathFactory,
    otlp: OtlpReceiver,
) -> Iterator[ServiceProcess]:
    svc = ServiceProcess(
        "health",
        health_env(health_db, kafka_bootstrap, DECAY_INTERVAL_S="2", **traced(otlp)),
        tmp_path_factory.mktemp("logs") / "health.log",
    ).start()
    yield svc
    svc.stop()


@pytest.fixture
def api_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture(scope="session")
def renewals_db(admin_db_url: str) -> ServiceDb:
    return migrated(admin_db_url, "renewals")


@pytest.fixture(scope="session")
def renewals(
    renewals_db: ServiceDb,
    kafka_bootstrap: str,
    tmp_path_factory: pytest.TempPathFactory,
    otlp: OtlpReceiver,
) -> Iterator[ServiceProcess]:
    svc = ServiceProcess(
        "renewals",
        renewals_env(renewals_db, kafka_bootstrap, SWEEP_INTERVAL_S="3600", **traced(otlp)),
        tmp_path_factory.mktemp("logs") / "renewals.log",
    ).start()
    yield svc
    svc.stop()


@pytest.fixture(scope="session")
def counter_db(admin_db_url: str) -> str:
    """Schema of the small real consumer in tests/support/counter (admin role, search_path counter)."""
    asyncio.run(migrate(admin_db_url, service="tests.support.counter", schema="counter"))
    return admin_db_url


@pytest.fixture
async def counter_pool(counter_db: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(counter_db, schema="counter", min_size=1, max_size=6)
    yield p
    await p.close()


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def source(ingest: ServiceProcess) -> Source:
    return create_source(ingest.url)


@pytest.fixture
def run_id() -> str:
    """A unique tag so a test only looks at its own records on shared topics."""
    return secrets.token_hex(6)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in Path(str(item.fspath)).parts or "e2e" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def notifications_db(admin_db_url: str) -> ServiceDb:
    return migrated(admin_db_url, "notifications")


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def notifications(
    notifications_db: ServiceDb,
    kafka_bootstrap: str,
    smtp: SmtpServer,
    tmp_path_factory: pytest.TempPathFactory,
    otlp: OtlpReceiver,
) -> Iterator[ServiceProcess]:
    svc = ServiceProcess(
        "notifications",
        notifications_env(notifications_db, kafka_bootstrap, smtp.port, **traced(otlp)),
        tmp_path_factory.mktemp("logs") / "notifications.log",
    ).start()
    yield svc
    svc.stop()


# accounts (the account view): a viewer key is enough for everything it serves
ACCOUNTS_TOKEN = "test-accounts-token-" + secrets.token_hex(8)


def accounts_env(db: ServiceDb, bootstrap: str, **extra: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DATABASE_URL": db.url,
        "API_TOKEN": ACCOUNTS_TOKEN,
        "API_KEYS": viewer_keys(),
        "ENVIRONMENT": "test",
        "CONSUMER_GROUP": "accounts-" + secrets.token_hex(3),
        **extra,
    }


@pytest.fixture(scope="session")
def accounts_db(admin_db_url: str) -> ServiceDb:
    return migrated(admin_db_url, "accounts")


@pytest.fixture(scope="session")
def accounts(
    accounts_db: ServiceDb,
    kafka_bootstrap: str,
    tmp_path_factory: pytest.TempPathFactory,
    otlp: OtlpReceiver,
) -> Iterator[ServiceProcess]:
    svc = ServiceProcess(
        "accounts",
        accounts_env(accounts_db, kafka_bootstrap, **traced(otlp)),
        tmp_path_factory.mktemp("logs") / "accounts.log",
    ).start()
    yield svc
    svc.stop()
