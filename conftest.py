"""Test fixtures shared by every suite: real Kafka and PostgreSQL (see tests/support/infra.py)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from bellwether_shared.db import create_pool
from bellwether_shared.migrate import migrate, service_url
from bellwether_shared.topics import ensure_topics
from tests.support.infra import Endpoints, provide
from tests.support.otlp import OtlpReceiver
from tests.support.receiver import SmtpServer
from tests.support.services import ServiceProcess

ADMIN_TOKEN = "test-admin-token-" + secrets.token_hex(8)
# keys every service knows besides its admin token: a viewer, two CSMs and a VP of CS (actors are person ids)
VIEWER_KEY = "test-viewer-key-" + secrets.token_hex(8)
CSM_KEYS = {"csm-ana": "test-csm-ana-" + secrets.token_hex(8), "csm-bo": "test-csm-bo-" + secrets.token_hex(8)}
VP_KEY = "test-vp-key-" + secrets.token_hex(8)


def viewer_keys() -> str:
    import hashlib
    import json

    def key(actor: str, role: str, token: str) -> dict[str, str]:
        return {"actor": actor, "role": role, "token_sha256": hashlib.sha256(token.encode()).hexdigest()}

    return json.dumps(
        [
            key("viewer@vendor.test", "viewer", VIEWER_KEY),
            key("vp-vic", "vp_cs", VP_KEY),
            *(key(actor, "csm", token) for actor, token in CSM_KEYS.items()),
        ]
    )


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
    from tests.support.infra import localinfra

    node = localinfra.KafkaNode(tmp_path / "kafka", localinfra.free_port(), localinfra.free_port(), heap="384m")
    node.start()
    asyncio.run(ensure_topics(node.bootstrap))
    yield node
    node.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(endpoints: Endpoints) -> str:
    return endpoints.kafka_bootstrap


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def new_database(admin_url: str, prefix: str = "bw_test_") -> str:
    """A fresh database on the same server (admin role): services migrated into it see nothing else."""
    name = prefix + secrets.token_hex(4)

    async def create() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return _with_database(admin_url, name)


@pytest.fixture(scope="session")
def admin_db_url(endpoints: Endpoints) -> str:
    """A database of its own for this test session (admin role)."""
    return new_database(endpoints.admin_database_url)


@dataclass(frozen=True)
class ServiceDb:
    schema: str
    url: str  # the service's own role
    admin_url: str


def migrated(admin_url: str, service: str) -> ServiceDb:
    role = f"{service}_{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(12)
    asyncio.run(migrate(admin_url, service=service, schema=service, role=role, role_password=password))
    return ServiceDb(service, service_url(admin_url, role=role, password=password), admin_url)


@pytest.fixture(scope="session")
def ingest_db(admin_db_url: str) -> ServiceDb:
    return migrated(admin_db_url, "ingest")


def ingest_env(db: ServiceDb, bootstrap: str, **extra: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DATABASE_URL": db.url,
        "SECRETS_KEY": "test-ingest-secrets-key-" + "x" * 16,
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "API_KEYS": viewer_keys(),
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "INFO",
        **extra,
    }


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


API_TOKEN = "test-api-token-" + secrets.token_hex(8)


def health_env(db: ServiceDb, bootstrap: str, **extra: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DATABASE_URL": db.url,
        "API_TOKEN": API_TOKEN,
        "API_KEYS": viewer_keys(),
        "ENVIRONMENT": "test",
        "CONSUMER_GROUP": "health-" + secrets.token_hex(3),
        "COALESCE_MS": "100",
        "MIN_DELTA": "1",
        **extra,
    }


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


# renewals: one API key per role (the service is configured with their SHA-256 only)
RENEWALS_KEYS: dict[str, tuple[str, str]] = {
    who: (role, f"test-{who}-" + secrets.token_hex(8))
    for who, role in (("viewer", "viewer"), ("csm", "csm"), ("csm2", "csm"), ("vp", "vp_cs"), ("admin", "admin"))
}


def renewals_headers(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {RENEWALS_KEYS[who][1]}"}


def renewals_env(db: ServiceDb, bootstrap: str, **extra: str) -> dict[str, str]:
    import hashlib
    import json

    keys = [
        {"actor": f"{who}@vendor.test", "role": role, "token_sha256": hashlib.sha256(token.encode()).hexdigest()}
        for who, (role, token) in RENEWALS_KEYS.items()
    ]
    return {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DATABASE_URL": db.url,
        "API_KEYS": json.dumps(keys),
        "ENVIRONMENT": "test",
        "CONSUMER_GROUP": "renewals-" + secrets.token_hex(3),
        **extra,
    }


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


@dataclass(frozen=True)
class Source:
    id: str
    write_key: str


def create_source(base_url: str, **body: object) -> Source:
    """A source for tests; it may write everything (usage, identity, every signal) unless ``scopes``
    says otherwise (the service's own default is usage and identity only)."""
    r = httpx.post(
        f"{base_url}/v1/sources",
        json={"name": "test-" + secrets.token_hex(3), "scopes": ["usage", "identity", "signals:*"], **body},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    return Source(r.json()["id"], r.json()["write_key"])


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


# notifications: one token, loopback receivers allowed, fast retries
NOTIFICATIONS_TOKEN = "test-notify-token-" + secrets.token_hex(8)


def notifications_env(db: ServiceDb, bootstrap: str, smtp_port: int, **extra: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DATABASE_URL": db.url,
        "API_TOKEN": NOTIFICATIONS_TOKEN,
        "SECRETS_KEY": "test-secrets-key-" + "x" * 32,
        "ENVIRONMENT": "test",
        "API_KEYS": viewer_keys(),
        "CONSUMER_GROUP": "notifications-" + secrets.token_hex(3),
        "ALLOW_NETWORKS": '["127.0.0.0/8"]',
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "RETRY_BASE_S": "0.2",
        "RETRY_CAP_S": "1",
        "DELIVERY_POLL_S": "0.05",
        "DIGEST_CHECK_S": "1",
        "HTTP_TIMEOUT_S": "3",
        **extra,
    }


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
