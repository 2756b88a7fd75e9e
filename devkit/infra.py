"""Where the tests' Kafka and PostgreSQL come from (never mocks):

1. ``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL`` in the environment: use them as they are;
2. else testcontainers, when a Docker engine answers;
3. else real local processes started by ``infra/localinfra.py`` on free loopback ports, in a
   throw-away directory, once per test session.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def load_localinfra() -> Any:
    spec = importlib.util.spec_from_file_location("localinfra", ROOT / "infra" / "localinfra.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["localinfra"] = module
    spec.loader.exec_module(module)
    return module


localinfra = load_localinfra()


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap: str
    admin_database_url: str
    mode: str  # "environment" | "testcontainers" | "local"


def docker_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        return bool(client.ping())
    except Exception:
        return False


@contextlib.contextmanager
def provide(workdir: Path) -> Iterator[Endpoints]:
    kafka_env, db_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("DATABASE_URL")
    if kafka_env and db_env:
        yield Endpoints(kafka_env, db_env, "environment")
        return
    if docker_answers():
        from testcontainers.community.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

        with (
            KafkaContainer("confluentinc/cp-kafka:8.0.0").with_kraft() as kafka,
            PostgresContainer("postgres:16-alpine", driver=None) as pg,
        ):
            yield Endpoints(kafka.get_bootstrap_server(), pg.get_connection_url(driver=None), "testcontainers")
        return
    kafka = localinfra.KafkaNode(workdir / "kafka", localinfra.free_port(), localinfra.free_port(), heap="512m")
    pg = localinfra.PostgresNode(workdir / "pg" / "data", localinfra.free_port())
    try:
        kafka.start()
        pg.start()
        yield Endpoints(kafka.bootstrap, pg.url, "local")
    finally:
        kafka.stop()
        pg.stop()
