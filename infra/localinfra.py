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
import base64
import contextlib
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
KAFKA_LIBS = LOCAL / "kafka" / "libs"
POM = ROOT / "infra" / "kafka" / "pom.xml"
LOG4J2 = ROOT / "infra" / "kafka" / "log4j2.properties"

DEV_KAFKA_PORT = int(os.environ.get("BW_KAFKA_PORT", "9092"))
DEV_KAFKA_CONTROLLER_PORT = int(os.environ.get("BW_KAFKA_CONTROLLER_PORT", "9093"))
DEV_PG_PORT = int(os.environ.get("BW_PG_PORT", "5432"))
PG_SUPERUSER = "bellwether"
PG_PASSWORD = "bellwether"  # loopback-only development cluster


class InfraError(RuntimeError):
    """A prerequisite is missing or a process did not come up; the message says which."""


def log(msg: str) -> None:
    print(f"[infra] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_until(
    predicate, *, timeout: float, what: str, proc: subprocess.Popen | None = None, log_file: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            tail = log_file.read_text(errors="replace")[-3000:] if log_file and log_file.exists() else ""
            raise InfraError(f"{what} exited with code {proc.returncode} before it was ready\n{tail}")
        time.sleep(0.2)
    raise InfraError(f"{what} not ready within {timeout:.0f}s (log: {log_file})")


# ----------------------------------------------------------------------------- Kafka


def _require(cmd: str, hint: str) -> str:
    path = shutil.which(cmd)
    if not path:
        raise InfraError(f"'{cmd}' not found on PATH. {hint}")
    return path


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


# ----------------------------------------------------------------------------- PostgreSQL


def pg_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if candidates:
        return Path(candidates[-1])
    cfg = shutil.which("pg_config")
    if cfg:
        bindir = Path(subprocess.run([cfg, "--bindir"], capture_output=True, text=True).stdout.strip())
        if (bindir / "initdb").exists():
            return bindir
    raise InfraError(
        "PostgreSQL server binaries not found. Run `make deps` (as root it installs "
        "Debian's postgresql package) or: apt-get install postgresql"
    )


def fetch_postgres() -> Path:
    try:
        return pg_bindir()
    except InfraError:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise
    log("installing PostgreSQL from Debian's packages")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    # Debian starts a system cluster on 5432; ours runs its own, so leave the system one stopped.
    subprocess.run(
        [
            "sh",
            "-c",
            "command -v pg_ctlcluster >/dev/null && "
            "for v in /etc/postgresql/*/main; do pg_ctlcluster $(basename $(dirname $v)) main stop; "
            "done || true",
        ],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return pg_bindir()


def _run_as_owner() -> tuple[list[str], int | None, int | None]:
    """PostgreSQL refuses to run as root: drop to the 'postgres' user (or 'nobody') then."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pw = pwd.getpwnam(name)
            return [], pw.pw_uid, pw.pw_gid
    raise InfraError("running as root and no 'postgres' user exists to run PostgreSQL as")


@dataclass
class PostgresNode:
    data_dir: Path
    port: int
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"postgresql://{PG_SUPERUSER}:{PG_PASSWORD}@127.0.0.1:{self.port}/postgres"

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / "postgres.log"

    def _chown(self, path: Path, uid: int | None, gid: int | None) -> None:
        if uid is not None and gid is not None:
            os.chown(path, uid, gid)

    def start(self, timeout: float = 60.0) -> None:
        bindir = fetch_postgres()
        _, uid, gid = _run_as_owner()
        base = self.data_dir.parent
        base.mkdir(parents=True, exist_ok=True)
        self._chown(base, uid, gid)
        # every parent must be traversable by the unprivileged owner
        for parent in base.parents:
            if parent == Path("/"):
                break
            with contextlib.suppress(PermissionError):
                mode = parent.stat().st_mode
                if uid is not None and not mode & 0o001:
                    os.chmod(parent, mode | 0o001)

        def demote() -> None:
            if gid is not None and uid is not None:
                os.setgid(gid)
                os.setuid(uid)

        if not (self.data_dir / "PG_VERSION").exists():
            pwfile = base / "pwfile"
            pwfile.write_text(PG_PASSWORD + "\n")
            self._chown(pwfile, uid, gid)
            subprocess.run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    PG_SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                preexec_fn=demote,
                cwd=base,
            )
            pwfile.unlink()
        sock = base / "sock"
        sock.mkdir(exist_ok=True)
        self._chown(sock, uid, gid)
        if self.log_file.exists():
            self._chown(self.log_file, uid, gid)
        with self.log_file.open("ab") as out:
            self._chown(self.log_file, uid, gid)
            self.proc = subprocess.Popen(
                [
                    str(bindir / "postgres"),
                    "-D",
                    str(self.data_dir),
                    "-p",
                    str(self.port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"unix_socket_directories={sock}",
                    "-c",
                    "max_connections=200",
                    "-c",
                    "shared_buffers=128MB",
                    "-c",
                    "fsync=on",
                    "-c",
                    "synchronous_commit=on",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=demote,
                start_new_session=True,
                cwd=base,
            )
        (base / "postgres.pid").write_text(str(self.proc.pid))
        wait_until(
            lambda: port_open(self.port), timeout=timeout, what="PostgreSQL", proc=self.proc, log_file=self.log_file
        )
        # the port opens slightly before the server accepts connections
        isready = bindir / "pg_isready"
        wait_until(
            lambda: subprocess.run([str(isready), "-q", "-h", "127.0.0.1", "-p", str(self.port)]).returncode == 0,
            timeout=timeout,
            what="PostgreSQL",
            proc=self.proc,
            log_file=self.log_file,
        )

    def stop(self, timeout: float = 30.0) -> None:
        pid_file = self.data_dir.parent / "postgres.pid"
        pid = self.proc.pid if self.proc else _read_pid(pid_file)
        if pid:
            # SIGINT is PostgreSQL's "fast" shutdown
            _terminate(pid, timeout, sig=signal.SIGINT)
        pid_file.unlink(missing_ok=True)
        self.proc = None


# ----------------------------------------------------------------------------- helpers


def _read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def _terminate(pid: int, timeout: float, sig: signal.Signals = signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


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
