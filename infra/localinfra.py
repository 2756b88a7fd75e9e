#!/usr/bin/env python3
"""Start and stop real Apache Kafka (KRaft) and PostgreSQL as local processes.

Standard library only, so it runs before the project's virtualenv exists.
Used three ways:

* ``python3 infra/localinfra.py up|down|status`` (``make infra-up`` / ``make infra-down``):
  the development stack on fixed loopback ports, state under ``.local/``;
* ``python3 infra/localinfra.py fetch``: resolve the Kafka jars from Maven Central into
  ``.local/kafka/libs`` (cached, git-ignored) and install PostgreSQL from Debian when missing;
* imported by the pytest fixture layer, which starts throw-away instances on free ports.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling modules, however it is loaded

from infra_common import (  # re-exported: the tests and tools use localinfra.<name>
    DEV_KAFKA_CONTROLLER_PORT as DEV_KAFKA_CONTROLLER_PORT,
    DEV_KAFKA_PORT as DEV_KAFKA_PORT,
    DEV_PG_PORT as DEV_PG_PORT,
    KAFKA_LIBS as KAFKA_LIBS,
    LOCAL as LOCAL,
    PG_PASSWORD as PG_PASSWORD,
    PG_SUPERUSER as PG_SUPERUSER,
    POM as POM,
    ROOT as ROOT,
    InfraError as InfraError,
    _read_pid as _read_pid,
    _require as _require,
    _terminate as _terminate,
    free_port as free_port,
    log as log,
    port_open as port_open,
    wait_until as wait_until,
)
from kafka_node import (
    LOG4J2 as LOG4J2,
    KafkaNode as KafkaNode,
    SaslSsl as SaslSsl,
    fetch_kafka as fetch_kafka,
    java_bin as java_bin,
)
from postgres_node import (
    PostgresNode as PostgresNode,
    _run_as_owner as _run_as_owner,
    fetch_postgres as fetch_postgres,
    pg_bindir as pg_bindir,
)


def dev_kafka() -> KafkaNode:
    return KafkaNode(LOCAL / "kafka" / "dev", DEV_KAFKA_PORT, DEV_KAFKA_CONTROLLER_PORT, heap="768m")


def dev_postgres() -> PostgresNode:
    return PostgresNode(LOCAL / "pg" / "dev" / "data", DEV_PG_PORT)


def up() -> dict[str, str]:
    kafka, pg = dev_kafka(), dev_postgres()
    if _read_pid(kafka.pid_file) and port_open(kafka.port):
        log(f"Kafka already running on {kafka.bootstrap}")
    else:
        if port_open(kafka.port):
            raise InfraError(f"port {kafka.port} is taken by another process; set BW_KAFKA_PORT")
        log(f"starting Kafka on {kafka.bootstrap}")
        kafka.start()
    if _read_pid(pg.data_dir.parent / "postgres.pid") and port_open(pg.port):
        log(f"PostgreSQL already running on 127.0.0.1:{pg.port}")
    else:
        if port_open(pg.port):
            raise InfraError(f"port {pg.port} is taken by another process; set BW_PG_PORT")
        log(f"starting PostgreSQL on 127.0.0.1:{pg.port}")
        pg.start()
    return {"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap, "DATABASE_URL": pg.url}


def down() -> None:
    dev_kafka().stop()
    dev_postgres().stop()
    log("Kafka and PostgreSQL stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["fetch", "up", "down", "status", "env"])
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            fetch_kafka()
            fetch_postgres()
            java_bin()
        elif args.command == "up":
            env = up()
            print(json.dumps(env))
        elif args.command == "down":
            down()
        elif args.command in ("status", "env"):
            kafka, pg = dev_kafka(), dev_postgres()
            state = {
                "kafka": port_open(kafka.port),
                "postgres": port_open(pg.port),
                "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
                "DATABASE_URL": pg.url,
            }
            print(json.dumps(state))
            return 0 if args.command == "env" or (state["kafka"] and state["postgres"]) else 1
    except (InfraError, subprocess.CalledProcessError) as exc:
        log(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
