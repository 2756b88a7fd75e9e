from __future__ import annotations

import json

import pytest

from bellwether_shared.engagement import DEFAULT_ENTITLEMENTS
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


def test_secrets_inside_free_text_are_scrubbed_and_the_rest_kept() -> None:
    text = (
        "retrying with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig for key bwk_AAAAAAAAAAAAAAAAAAAAAAAA "
        "and secret whsec_c2VjcmV0c2VjcmV0c2VjcmV0 at https://user:pa55@hooks.example.com/x"
    )
    out = scrub(text)
    for secret in ("eyJhbGciOiJIUzI1NiJ9", "bwk_AAAA", "whsec_c2Vj", "pa55"):
        assert secret not in out
    assert out.startswith("retrying with Authorization: Bearer [redacted] for key [redacted]")
    assert "https://user:[redacted]@hooks.example.com/x" in out
    assert scrub("a basic question about tokens") == "a basic question about tokens"  # words, not credentials


def test_a_long_word_is_scrubbed_whole_and_unchanged() -> None:
    """The input that made the old URL pattern quadratic: a long run of word characters."""
    long = "a" * 32_768 + "://x:y@h"
    assert scrub(long) == long  # a 32 KB "scheme" is no URL: left as it is
    assert scrub("see " + long[-40:]) == "see " + "a" * 32 + f"://x:{REDACTED}@h"


def test_tracebacks_are_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="t", level="INFO", json=True)
    try:
        raise RuntimeError("connect to postgresql://svc:hunter2@db/x failed, header Bearer abc123defghijklmnop")
    except RuntimeError:
        get_logger("t").exception("boom")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    doc = json.loads(line)
    assert "RuntimeError" in doc["exception"]
    assert "hunter2" not in line and "abc123defghijklmnop" not in line


def test_a_companys_engagement_promises_override_the_defaults_and_bad_ones_are_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1:5432/db")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    own = '{"high_touch": {"business_reviews_per_year": 2, "executive_sponsor": true, "onboarding_hours": 30, '
    monkeypatch.setenv("ENGAGEMENT_ENTITLEMENTS", own + '"check_in_days": 30}}')
    promises = load_settings(_Settings).promises()
    assert (promises["high_touch"].business_reviews_per_year, promises["high_touch"].check_in_days) == (2, 30)
    assert promises["one_to_many"] == DEFAULT_ENTITLEMENTS["one_to_many"]  # left out: the default
    assert promises["high_touch"].value_review_days == 30  # a field left out keeps the model's default
    monkeypatch.setenv("ENGAGEMENT_ENTITLEMENTS", own + '"check_in_days": 30, "value_review_days": null}}')
    assert load_settings(_Settings).promises()["high_touch"].value_review_days is None  # said: none promised
    monkeypatch.setenv("ENGAGEMENT_ENTITLEMENTS", '{"white_glove": {}}')
    with pytest.raises(SystemExit):
        load_settings(_Settings)
    assert "ENGAGEMENT_ENTITLEMENTS" in capsys.readouterr().err
