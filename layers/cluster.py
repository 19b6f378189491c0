"""The project's own PostgreSQL + PostGIS cluster, kept under the data dir.

Used by ``iocmap db start`` and by the test suite, so both run the same code. The
cluster listens on a unix socket only (``listen_addresses = ''``), so it never collides
with a system PostgreSQL and is reachable only by its OS owner (and root).
``initdb`` refuses to run as root: as root the cluster runs as the ``postgres`` user.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from layers.errors import ClusterError

log = logging.getLogger(__name__)

DB_NAME = "iocmap"
DB_USER = "iocmap"
# A unix socket path must fit in 107 bytes (sun_path), socket file name included.
_MAX_SOCKET_DIR = 80


def find_pg_bin(explicit: Path | None = None) -> Path:
    """Locate the PostgreSQL server binaries (Debian keeps them out of PATH)."""
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    which = shutil.which("pg_ctl")
    if which:
        candidates.append(Path(which).resolve().parent)
    for c in candidates:
        if (c / "pg_ctl").exists() and (c / "initdb").exists() and (c / "postgres").exists():
            return c
    raise ClusterError(
        "PostgreSQL server binaries not found; install postgresql-15 and "
        "postgresql-15-postgis-3 (make run does it as root) or set IOCMAP_PG_BIN"
    )


@dataclass
class Cluster:
    """A private cluster in ``data_dir/pg`` with its socket in a short directory."""

    data_dir: Path
    port: int = 5433
    pg_bin: Path | None = None

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        self.pgdata = self.data_dir / "pg"
        self.bin = find_pg_bin(self.pg_bin)
        self.os_user = _cluster_os_user()
        self.socket_dir = self._socket_dir()

    def _socket_dir(self) -> Path:
        preferred = self.data_dir / "run"
        if len(str(preferred)) <= _MAX_SOCKET_DIR:
            return preferred
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:10]
        return Path(tempfile.gettempdir()) / f"iocmap-{digest}"

    @property
    def url(self) -> str:
        return (
            f"postgresql+psycopg://{DB_USER}@/{DB_NAME}"
            f"?host={self.socket_dir}&port={self.port}"
        )

    def _run(self, *args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(a) for a in args]
        if self.os_user is not None:
            cmd = ["runuser", "-u", self.os_user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)  # noqa: S603

    def _chown(self, path: Path) -> None:
        if self.os_user is not None:
            pw = pwd.getpwnam(self.os_user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster files once (idempotent)."""
        if self.initialised():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        self._chown(self.pgdata)
        log.info("initdb %s", self.pgdata)
        res = self._run(
            self.bin / "initdb", "-D", self.pgdata, "-U", DB_USER, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", check=False,
        )
        if res.returncode != 0:
            raise ClusterError(f"initdb failed: {res.stderr.strip() or res.stdout.strip()}")
        conf = self.pgdata / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as fh:
            fh.write(
                "\n# iocmap private cluster: unix socket only\n"
                "listen_addresses = ''\n"
                "max_connections = 100\n"
                "shared_buffers = 256MB\n"
                "jit = off\n"
            )

    def running(self) -> bool:
        if not self.initialised():
            return False
        return self._run(self.bin / "pg_ctl", "status", "-D", self.pgdata, check=False).returncode == 0

    def start(self, *, fast_unsafe: bool = False) -> None:
        """Start the cluster (initialising it first) and make sure the database exists.

        ``fast_unsafe`` turns fsync off: only for throwaway test clusters.
        """
        self.init()
        self.socket_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._chown(self.socket_dir)
        if not self.running():
            opts = f"-k {self.socket_dir} -p {self.port}"
            if fast_unsafe:
                opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            log_file = self.pgdata / "server.log"
            res = self._run(
                self.bin / "pg_ctl", "start", "-D", self.pgdata, "-w", "-t", "60",
                "-l", log_file, "-o", opts, check=False,
            )
            if res.returncode != 0:
                tail = ""
                if log_file.exists():
                    tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-10:])
                raise ClusterError(f"pg_ctl start failed: {res.stderr.strip()}\n{tail}")
        self._wait_ready()
        self._ensure_database()

    def stop(self) -> None:
        if self.running():
            self._run(self.bin / "pg_ctl", "stop", "-D", self.pgdata, "-m", "fast", "-w")

    def destroy(self) -> None:
        """Stop and delete the cluster files (test clusters only)."""
        self.stop()
        shutil.rmtree(self.pgdata, ignore_errors=True)
        if self.socket_dir != self.data_dir / "run":
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def psql(self, sql: str, db: str = DB_NAME) -> str:
        res = self._run(
            self.bin / "psql", "-h", self.socket_dir, "-p", str(self.port), "-U", DB_USER,
            "-d", db, "-Atqc", sql, check=False,
        )
        if res.returncode != 0:
            raise ClusterError(f"psql failed: {res.stderr.strip()}")
        return res.stdout.strip()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            res = self._run(
                self.bin / "pg_isready", "-h", self.socket_dir, "-p", str(self.port), check=False
            )
            if res.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise ClusterError("the private PostgreSQL cluster did not become ready")
            time.sleep(0.2)

    def _ensure_database(self) -> None:
        # DB_NAME is a module constant, not input.
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'", db="postgres")  # noqa: S608
        if exists != "1":
            self.psql(f"CREATE DATABASE {DB_NAME}", db="postgres")

    def status(self) -> dict[str, object]:
        return {
            "pgdata": str(self.pgdata),
            "socket_dir": str(self.socket_dir),
            "port": self.port,
            "initialised": self.initialised(),
            "running": self.running(),
            "os_user": self.os_user or pwd.getpwuid(os.getuid()).pw_name,
        }


def _cluster_os_user() -> str | None:
    """As root, run PostgreSQL as the ``postgres`` OS user; otherwise as ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ClusterError("running as root needs the 'postgres' OS user (from Debian's postgresql)") from exc
    return "postgres"
