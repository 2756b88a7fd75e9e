"""Real Apache Kafka (KRaft) as a local process: its jars resolved from Maven Central, one combined
broker and controller node, optionally with SASL_SSL listeners. Standard library only."""

from __future__ import annotations

import base64
import contextlib
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from infra_common import KAFKA_LIBS, POM, ROOT, InfraError, _read_pid, _require, _terminate, log, port_open, wait_until

LOG4J2 = ROOT / "infra" / "kafka" / "log4j2.properties"


def java_bin() -> str:
    java = _require("java", "Kafka 4.x needs Java 17 or newer: apt-get install openjdk-17-jre-headless")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    try:
        major = int(out.split('"')[1].split(".")[0])
    except (IndexError, ValueError):
        major = 0
    if major and major < 17:
        raise InfraError(f"Kafka 4.x needs Java 17 or newer; found: {out.splitlines()[0]}")
    return java


def fetch_kafka() -> Path:
    """Resolve the broker jars once; later runs use the cache."""
    marker = KAFKA_LIBS / ".complete"
    if marker.exists():
        return KAFKA_LIBS
    mvn = _require("mvn", "Maven fetches the Kafka jars from Maven Central: apt-get install maven")
    java_bin()
    tmp = KAFKA_LIBS.with_name("libs.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    log(f"resolving Kafka jars from Maven Central into {KAFKA_LIBS} (once)")
    subprocess.run(
        [
            mvn,
            "-B",
            "-q",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={tmp}",
        ],
        check=True,
    )
    if not any(tmp.glob("kafka_2.13-*.jar")):
        raise InfraError("Maven finished but kafka_2.13 jar is missing")
    shutil.rmtree(KAFKA_LIBS, ignore_errors=True)
    tmp.rename(KAFKA_LIBS)
    marker.touch()
    return KAFKA_LIBS


@dataclass(frozen=True)
class SaslSsl:
    """A client listener that requires TLS and SCRAM-SHA-512 (the user is created when the storage is
    formatted). ``keystore_pem``: the server's private key (PKCS#8) and certificate chain in one file."""

    port: int
    username: str
    password: str
    keystore_pem: Path


@dataclass
class KafkaNode:
    data_dir: Path
    port: int
    controller_port: int
    heap: str = "512m"
    proc: subprocess.Popen | None = None
    sasl_ssl: SaslSsl | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "kafka.log"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "kafka.pid"

    def _listeners(self) -> list[str]:
        listeners = f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}"
        advertised = f"PLAINTEXT://127.0.0.1:{self.port}"
        protocols = "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
        extra: list[str] = []
        if self.sasl_ssl is not None:
            listeners += f",SASL_SSL://127.0.0.1:{self.sasl_ssl.port}"
            advertised += f",SASL_SSL://127.0.0.1:{self.sasl_ssl.port}"
            protocols += ",SASL_SSL:SASL_SSL"
            extra = [
                "sasl.enabled.mechanisms=SCRAM-SHA-512",
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "listener.name.sasl_ssl.ssl.keystore.type=PEM",
                f"listener.name.sasl_ssl.ssl.keystore.location={self.sasl_ssl.keystore_pem}",
            ]
        return [
            f"listeners={listeners}",
            f"advertised.listeners={advertised}",
            f"listener.security.protocol.map={protocols}",
            *extra,
        ]

    def _properties(self) -> Path:
        props = self.data_dir / "server.properties"
        logs = self.data_dir / "log"
        props.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
                    *self._listeners(),
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    f"log.dirs={logs}",
                    "num.partitions=3",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=3",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "transaction.state.log.num.partitions=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=false",
                    "num.network.threads=2",
                    "num.io.threads=2",
                    "log.retention.hours=24",
                    "",
                ]
            )
        )
        return props

    def _scram_users(self) -> list[str]:
        if self.sasl_ssl is None:
            return []
        user = self.sasl_ssl
        return ["--add-scram", f"SCRAM-SHA-512=[name={user.username},password={user.password}]"]

    def _java(self, main: str, *args: str, heap: str) -> list[str]:
        return [
            java_bin(),
            f"-Xmx{heap}",
            "-Xms128m",
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={LOG4J2}",
            f"-Dkafka.logs.dir={self.data_dir}",
            "-cp",
            f"{fetch_kafka()}/*",
            main,
            *args,
        ]

    def start(self, timeout: float = 90.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        props = self._properties()
        if not (self.data_dir / "log" / "meta.properties").exists():
            # one in 32 of these starts with '-': passed as --cluster-id=<id>, never as a separate argument
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            subprocess.run(
                self._java(
                    "kafka.tools.StorageTool",
                    "format",
                    "--standalone",
                    f"--cluster-id={cluster_id}",
                    "-c",
                    str(props),
                    *self._scram_users(),
                    heap="256m",
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        with self.log_file.open("ab") as out:
            self.proc = subprocess.Popen(
                self._java("kafka.Kafka", str(props), heap=self.heap),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(str(self.proc.pid))
        # The PLAINTEXT listener opens only once the broker is unfenced; never probe the controller port.
        wait_until(
            lambda: port_open(self.port), timeout=timeout, what="Kafka broker", proc=self.proc, log_file=self.log_file
        )

    def stop(self, timeout: float = 30.0) -> None:
        pid = self.proc.pid if self.proc else _read_pid(self.pid_file)
        if pid:
            _terminate(pid, timeout)
        if self.proc:
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=1)
        self.pid_file.unlink(missing_ok=True)
        self.proc = None
