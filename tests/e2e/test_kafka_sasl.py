"""Kafka over SASL_SSL with SCRAM-SHA-512: a real broker whose client listener requires TLS and a SCRAM
user. A client without credentials (or with a wrong password, or not trusting the broker's CA) is
refused; ingest and health configured with the credentials carry a tracking call through to a score.
The services are given only the SASL_SSL port."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError, KafkaError

from bellwether_shared.kafka import create_producer
from bellwether_shared.kafka_conn import KafkaConnection
from bellwether_shared.topics import ensure_topics
from conftest import API_TOKEN, ServiceDb, create_source, health_env, ingest_env, migrated, new_database
from devkit.infra import localinfra
from devkit.services import ServiceProcess
from tests.support.tls import Pki, make_pki
from tests.support.wait import eventually

USER, PASSWORD = "bellwether", "scram-" + secrets.token_hex(12)


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[localinfra.KafkaNode, Pki]]:
    base = tmp_path_factory.mktemp("sasl")
    pki = make_pki(base / "pki")
    node = localinfra.KafkaNode(
        base / "kafka",
        localinfra.free_port(),
        localinfra.free_port(),
        heap="384m",
        sasl_ssl=localinfra.SaslSsl(localinfra.free_port(), USER, PASSWORD, pki.server_pem),
    )
    node.start()
    yield node, pki
    node.stop()


def _conn(node: localinfra.KafkaNode, pki: Pki, **overrides: object) -> KafkaConnection:
    assert node.sasl_ssl is not None
    values: dict[str, object] = {
        "kafka_bootstrap_servers": f"127.0.0.1:{node.sasl_ssl.port}",
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username": USER,
        "kafka_sasl_password": PASSWORD,
        "kafka_ssl_cafile": str(pki.ca_pem),
        **overrides,
    }
    return KafkaConnection(**values)  # type: ignore[arg-type]


def _env(conn: KafkaConnection) -> dict[str, str]:
    assert conn.kafka_sasl_password is not None
    return {
        "KAFKA_BOOTSTRAP_SERVERS": conn.kafka_bootstrap_servers,
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": USER,
        "KAFKA_SASL_PASSWORD": conn.kafka_sasl_password.get_secret_value(),
        "KAFKA_SSL_CAFILE": str(conn.kafka_ssl_cafile),
    }


async def _connects(kafka: KafkaConnection | str) -> str:
    producer = create_producer(kafka, client_id="probe", request_timeout_ms=3000)
    try:
        await asyncio.wait_for(producer.start(), timeout=15)
    except (KafkaError, KafkaConnectionError, TimeoutError, OSError) as exc:
        return f"refused: {type(exc).__name__}"
    finally:
        await producer.stop()
    return "connected"


async def test_clients_without_valid_credentials_are_refused(secure_broker, tmp_path: Path) -> None:
    node, pki = secure_broker
    assert await _connects(_conn(node, pki)) == "connected"
    assert node.sasl_ssl is not None
    assert (await _connects(f"127.0.0.1:{node.sasl_ssl.port}")).startswith("refused")  # no TLS, no SASL
    assert (await _connects(_conn(node, pki, kafka_sasl_password="wrong-" + PASSWORD))).startswith("refused")
    other = make_pki(tmp_path / "other")  # a CA that did not sign the broker's certificate
    assert (await _connects(_conn(node, pki, kafka_ssl_cafile=str(other.ca_pem)))).startswith("refused")


def test_settings_refuse_sasl_without_credentials() -> None:
    with pytest.raises(ValueError, match="KAFKA_SASL_USERNAME"):
        KafkaConnection(kafka_security_protocol="SASL_SSL")
    with pytest.raises(ValueError, match="KAFKA_SSL_CAFILE: cannot read"):
        KafkaConnection(kafka_security_protocol="SSL", kafka_ssl_cafile="/nonexistent/ca.pem")


@pytest.mark.parametrize("client", ["aiokafka", "librdkafka"])
def test_services_work_over_sasl_ssl(secure_broker, endpoints, tmp_path: Path, client: str) -> None:
    """Ingest publishing with either client (``KAFKA_PRODUCER_CLIENT``) reaches health over SASL_SSL."""
    node, pki = secure_broker
    conn = _conn(node, pki)
    asyncio.run(ensure_topics(conn))
    admin_url = new_database(endpoints.admin_database_url, "bw_sasl_")
    ingest_db: ServiceDb = migrated(admin_url, "ingest")
    health_db: ServiceDb = migrated(admin_url, "health")
    # the services get the SASL_SSL port only; any plaintext attempt would fail
    ingest = ServiceProcess(
        "ingest",
        {**ingest_env(ingest_db, "unused:1"), **_env(conn), "KAFKA_PRODUCER_CLIENT": client},
        tmp_path / "ingest.log",
    )
    health = ServiceProcess("health", {**health_env(health_db, "unused:1"), **_env(conn)}, tmp_path / "health.log")
    ingest.start()
    health.start()
    try:
        source = create_source(ingest.url)
        account = "acct-sasl-" + secrets.token_hex(3)
        r = httpx.post(
            f"{ingest.url}/v1/batch",
            auth=(source.write_key, ""),
            timeout=10,
            json={
                "batch": [
                    {"type": "track", "userId": f"u{i}", "event": "Report Exported", "context": {"groupId": account}}
                    for i in range(3)
                ]
            },
        )
        assert r.status_code == 200, r.text

        async def counted() -> dict[str, int] | None:
            async with httpx.AsyncClient() as http:
                got = await http.get(
                    f"{health.url}/v1/accounts/{account}/usage",
                    params={"days": 7},
                    headers={"Authorization": f"Bearer {API_TOKEN}"},
                )
            done = got.status_code == 200 and (got.json().get("events"), got.json().get("dau")) == (3, 3)
            return got.json() if done else None

        usage = asyncio.run(eventually(counted, timeout=60, what="health counted the events sent over SASL_SSL"))
        assert usage["wau"] == 3
    finally:
        ingest.stop()
        health.stop()
