"""The stack as tests and benchmarks run it: the API keys every service is configured with (random per
process, SHA-256 only in the services' settings), a fresh database and a migrated schema per service,
each service's environment, and ingest sources."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from bellwether_shared.migrate import migrate, service_url

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
        "CRM_RETRY_BASE_S": "0.2",
        "CRM_POLL_S": "0.05",
        "DELIVERY_POLL_S": "0.05",
        "DIGEST_CHECK_S": "1",
        "HTTP_TIMEOUT_S": "3",
        **extra,
    }
