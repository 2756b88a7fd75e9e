"""``ENVIRONMENT=prod`` refuses development settings: each service process, started with each bad
value, exits with status 2 before it opens a connection, naming the variable. A good production
configuration of each service loads."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys

import pytest

from accounts.settings import AccountsSettings
from bellwether_shared.settings import ServiceSettings, load_settings
from health.settings import HealthSettings
from ingest.settings import IngestSettings
from notifications.settings import NotificationsSettings
from renewals.settings import RenewalsSettings

pytestmark = pytest.mark.integration


def token() -> str:
    return secrets.token_urlsafe(32)


def keys(*roles: str, same: bool = False, raw: str | None = None) -> str:
    shared = token()
    return json.dumps(
        [
            {
                "actor": f"{r}@x",
                "role": r,
                "token_sha256": hashlib.sha256((raw or (shared if same else token())).encode()).hexdigest(),
            }
            for r in roles
        ]
    )


BASE = {
    "ENVIRONMENT": "prod",
    "DATABASE_URL": "postgresql://svc:pw@127.0.0.1:1/x",
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
}
GOOD = {
    "ingest": {"ADMIN_TOKEN": token()},
    "health": {"API_TOKEN": token()},
    "renewals": {"API_KEYS": keys("viewer", "admin")},
    "notifications": {"API_TOKEN": token(), "SECRETS_KEY": token()},
    "accounts": {"API_TOKEN": token()},
}
SETTINGS: dict[str, type[ServiceSettings]] = {
    "ingest": IngestSettings,
    "health": HealthSettings,
    "renewals": RenewalsSettings,
    "notifications": NotificationsSettings,
    "accounts": AccountsSettings,
}
BAD = [
    ("ingest", {"ADMIN_TOKEN": "dev-admin-token-change-me"}, "ADMIN_TOKEN: a development value"),
    ("ingest", {"ADMIN_TOKEN": "x" * 20}, "ADMIN_TOKEN: at least 32 characters"),
    ("health", {"API_TOKEN": "dev-admin-token-change-me"}, "API_TOKEN: a development value"),
    ("health", {"API_TOKEN": "short-but-sixteen+"}, "API_TOKEN: at least 32 characters"),
    (
        "renewals",
        {"API_KEYS": keys("admin", raw="dev-admin-token-change-me")},
        "API_KEYS: the key of admin@x is a development token",
    ),
    ("renewals", {"API_KEYS": keys("viewer", "admin", same=True)}, "API_KEYS: one key for two roles"),
    (
        "notifications",
        {"SECRETS_KEY": "dev-secrets-key-change-me-0123456789abcdef"},
        "SECRETS_KEY: a development value",
    ),
    ("notifications", {"ALLOW_NETWORKS": '["127.0.0.0/8"]'}, "ALLOW_NETWORKS: must be empty in production"),
    ("notifications", {"API_TOKEN": "s" * 40, "SECRETS_KEY": "s" * 40}, "SECRETS_KEY: the same value as API_TOKEN"),
    ("notifications", {"API_TOKEN": "abc" * 6}, "API_TOKEN: at least 32 characters"),
    ("accounts", {"API_TOKEN": "dev-admin-token-change-me"}, "API_TOKEN: a development value"),
]


@pytest.mark.parametrize(("service", "bad", "says"), BAD, ids=[f"{s}-{next(iter(b))}" for s, b, _ in BAD])
def test_a_service_refuses_to_start_in_prod_with_a_development_setting(service, bad, says, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, **BASE, **GOOD[service], **bad}
    run = subprocess.run(
        [sys.executable, "-m", service], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2, run.stderr[-2000:]
    assert says in run.stderr, run.stderr[-2000:]


@pytest.mark.parametrize("service", sorted(GOOD))
def test_a_good_production_configuration_loads(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {**BASE, **GOOD[service]}.items():
        monkeypatch.setenv(k, v)
    settings = load_settings(SETTINGS[service])
    assert settings.environment == "prod" and settings.prod_problems() == []
