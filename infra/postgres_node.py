"""Real PostgreSQL as a local process: the server from Debian, one cluster owned by an unprivileged user
(when run as root), scram-sha-256 on loopback. Standard library only."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra_common import PG_PASSWORD, PG_SUPERUSER, InfraError, _read_pid, _terminate, log, port_open, wait_until


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

    def _prepare(self, base: Path, uid: int | None, gid: int | None) -> None:
        """The cluster's directory, owned by the unprivileged owner, and every parent traversable by it."""
        base.mkdir(parents=True, exist_ok=True)
        self._chown(base, uid, gid)
        for parent in base.parents:
            if parent == Path("/"):
                break
            with contextlib.suppress(PermissionError):
                mode = parent.stat().st_mode
                if uid is not None and not mode & 0o001:
                    os.chmod(parent, mode | 0o001)

    def _initdb(self, bindir: Path, base: Path, uid: int | None, gid: int | None, demote: Any) -> None:
        pwfile = base / "pwfile"
        pwfile.write_text(PG_PASSWORD + "\n")
        self._chown(pwfile, uid, gid)
        subprocess.run(
            [
                str(bindir / "initdb"),
                *("-D", str(self.data_dir), "-U", PG_SUPERUSER, f"--pwfile={pwfile}"),
                *("--auth-local=scram-sha-256", "--auth-host=scram-sha-256"),
                *("-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            preexec_fn=demote,
            cwd=base,
        )
        pwfile.unlink()

    def _server(self, bindir: Path, sock: Path) -> list[str]:
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(sock),
            "max_connections": "200",
            "shared_buffers": "128MB",
            "fsync": "on",
            "synchronous_commit": "on",
        }
        flags = [arg for name, value in settings.items() for arg in ("-c", f"{name}={value}")]
        return [str(bindir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port), *flags]

    def start(self, timeout: float = 60.0) -> None:
        bindir = fetch_postgres()
        _, uid, gid = _run_as_owner()
        base = self.data_dir.parent
        self._prepare(base, uid, gid)

        def demote() -> None:
            if gid is not None and uid is not None:
                os.setgid(gid)
                os.setuid(uid)

        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(bindir, base, uid, gid, demote)
        sock = base / "sock"
        sock.mkdir(exist_ok=True)
        self._chown(sock, uid, gid)
        if self.log_file.exists():
            self._chown(self.log_file, uid, gid)
        with self.log_file.open("ab") as out:
            self._chown(self.log_file, uid, gid)
            self.proc = subprocess.Popen(
                self._server(bindir, sock),
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
        isready = [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        wait_until(
            lambda: subprocess.run(isready).returncode == 0,
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
