from __future__ import annotations

import json

import pytest

from bellwether_shared.logging import REDACTED, configure_logging, get_logger, scrub
from bellwether_shared.settings import ServiceSettings, load_settings


def test_scrub_hides_secret_keys_and_url_passwords() -> None:
    doc = scrub(
        {
            "authorization": "Basic abc",
            "writeKey": "bwk_x",
            "nested": {"admin_token": "t"},
            "url": "postgresql://svc:hunter2@db:5432/x",
            "event": "ok",
        }
    )
    assert doc["authorization"] == REDACTED and doc["writeKey"] == REDACTED
    assert doc["nested"]["admin_token"] == REDACTED
    assert "hunter2" not in doc["url"] and doc["url"].startswith("postgresql://svc:")
    assert doc["event"] == "ok"


def test_json_logs_never_contain_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="t", level="INFO", json=True)
    get_logger("t").info("connecting", database_url="postgresql://u:s3cret@h/db", write_key="bwk_secret")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    doc = json.loads(line)
    assert doc["event"] == "connecting" and doc["service"] == "t"
    assert "s3cret" not in line and "bwk_secret" not in line


class _Settings(ServiceSettings):
    service_name: str = "t"
    http_port: int = 8000
    db_schema: str = "t"


def test_bad_configuration_fails_fast_naming_each_field(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x@y/z")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "nohostport")
    with pytest.raises(SystemExit) as exc:
        load_settings(_Settings)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "DATABASE_URL: Value error, must be a postgresql:// URL" in err
    assert "KAFKA_BOOTSTRAP_SERVERS" in err


def test_good_configuration_loads_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1:5432/db")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092,127.0.0.1:9093")
    s = load_settings(_Settings)
    assert s.database_url.endswith("/db") and s.http_port == 8000
