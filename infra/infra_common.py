"""What the local Kafka and PostgreSQL share: paths and ports, logging, waiting for a port or a condition, and
stopping a process by its pid. Standard library only."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


LOCAL = ROOT / ".local"


KAFKA_LIBS = LOCAL / "kafka" / "libs"


POM = ROOT / "infra" / "kafka" / "pom.xml"


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


def _require(cmd: str, hint: str) -> str:
    path = shutil.which(cmd)
    if not path:
        raise InfraError(f"'{cmd}' not found on PATH. {hint}")
    return path


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
