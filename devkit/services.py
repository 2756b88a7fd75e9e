"""Running a service for real: ``python -m <service>`` in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devkit.infra import localinfra


@dataclass
class ServiceProcess:
    module: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=localinfra.free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(
        self, *, wait_ready: bool = True, timeout: float = 60.0, started_log: str | None = None
    ) -> ServiceProcess:
        """Start and wait for /livez (and /readyz); a process without HTTP: for ``started_log`` in its log."""
        env = {**os.environ, **self.env, "HTTP_PORT": str(self.port), "HTTP_HOST": "127.0.0.1"}
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        if started_log is not None:
            self.wait(lambda: started_log in self.log_tail(100_000), timeout, "started")
            return self
        self.wait(lambda: self._status("/livez") == 200, timeout, "live")
        if wait_ready:
            self.wait(lambda: self._status("/readyz") == 200, timeout, "ready")
        return self

    def _status(self, path: str) -> int:
        try:
            return httpx.get(self.url + path, timeout=2).status_code
        except httpx.HTTPError:
            return 0

    def wait(self, predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"{self.module} exited ({self.proc.returncode}):\n{self.log_tail()}")
            if predicate():
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.module} not {what} within {timeout}s:\n{self.log_tail()}")

    def log_tail(self, n: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-n:] if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        return code
