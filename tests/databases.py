"""PostgreSQL for the tests: a throwaway server when none is given, and a fresh database per test.

``fresh_postgres`` makes one empty database on a server and drops it afterwards (tests and
benchmarks). ``TemporaryServer`` runs a server of its own in a temp folder, from PostgreSQL's
``initdb`` and ``pg_ctl``, for a test run that was given no ``ZOOMCAL_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

SERVER_USER = "postgres"  # the OS user a root test run starts the server as: initdb refuses root
_SETTINGS = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{sockets}'
# Thrown away after the run: nothing needs to survive a crash, so skip the disk flushes.
fsync = off
synchronous_commit = off
full_page_writes = off
"""


@asynccontextmanager
async def fresh_postgres(server_url: str, prefix: str = "zoomcal_test") -> AsyncIterator[str]:
    """Creates an empty database on the server at ``server_url``; yields its SQLAlchemy URL."""
    import asyncpg

    base = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await conn.close()
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


class Unavailable(Exception):
    """No throwaway server can run here; the message says why."""


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: from PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb).resolve().parent  # a symlink's target: pg_ctl finds `postgres` beside itself
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _version(folder: str) -> tuple[int, ...]:
    return tuple(int(n) for n in Path(folder).parent.name.split(".") if n.isdigit())


class TemporaryServer:
    """A PostgreSQL server in a temp folder, on a free 127.0.0.1 port, trusting local connections.

    As root it runs as the ``postgres`` OS user (the one Debian's package makes). ``start`` raises
    Unavailable with the reason when it cannot run; ``stop`` stops it and deletes the folder.
    """

    def __init__(self) -> None:
        self._bin: Path | None = None
        self.folder: Path | None = None  # the server's data, socket and log, while it runs
        self._as_user = None  # the OS user (pwd entry) the server runs as, when we are root

    def start(self) -> str:
        """Starts the server; returns the URL of its ``postgres`` database."""
        self._bin = server_binaries()
        if self._bin is None:
            raise Unavailable("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            import pwd

            try:
                self._as_user = pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise Unavailable(
                    f"running as root, and initdb refuses root: no {SERVER_USER!r} OS user to run the server as"
                ) from None
        self.folder = Path(tempfile.mkdtemp(prefix="zoomcal-postgres-"))
        try:
            if self._as_user is not None:
                os.chown(self.folder, self._as_user.pw_uid, self._as_user.pw_gid)
            self._initdb()
            with open(self._data / "postgresql.conf", "a", encoding="utf-8") as conf:
                conf.write(_SETTINGS.format(sockets=self.folder))
            for _ in range(3):  # another process may take the free port before the server binds it
                port = _free_port()
                log = str(self.folder / "server.log")
                started = self._run("pg_ctl", "-D", str(self._data), "-l", log, "-o", f"-p {port}", "-w", "start")
                if started.returncode == 0:
                    self.port = port
                    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
            raise Unavailable(f"the throwaway server did not start: {self._log_tail()}")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.folder is None:
            return
        if (self._data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self._data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def pause(self) -> None:
        """Stops the server as a restart or failover does (connections dropped), keeping its data."""
        done = self._run("pg_ctl", "-D", str(self._data), "-m", "fast", "-w", "stop")
        if done.returncode != 0:
            raise Unavailable(f"the throwaway server did not stop: {done.stderr.strip()[-300:]}")

    def resume(self) -> None:
        """Starts the paused server again, on the same port, with the same data."""
        log = str(self.folder / "server.log")
        done = self._run("pg_ctl", "-D", str(self._data), "-l", log, "-o", f"-p {self.port}", "-w", "start")
        if done.returncode != 0:
            raise Unavailable(f"the throwaway server did not start again: {self._log_tail()}")

    @property
    def _data(self) -> Path:
        return self.folder / "data"

    def _initdb(self) -> None:
        base = ("initdb", "-D", str(self._data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        done = self._run(*base, "--locale=C.UTF-8")  # as Debian's server: lower() knows non-ASCII letters
        if done.returncode != 0:
            shutil.rmtree(self._data, ignore_errors=True)
            done = self._run(*base, "--no-locale")  # a system without the C.UTF-8 locale (macOS)
        if done.returncode != 0:
            raise Unavailable(f"initdb failed: {done.stderr.strip()[-300:]}")

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        user = self._as_user
        return subprocess.run(
            [str(self._bin / program), *args], cwd=self.folder, capture_output=True, text=True, timeout=120,
            user=user.pw_uid if user else None, group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )

    def _log_tail(self) -> str:
        try:
            return (self.folder / "server.log").read_text(errors="replace").strip()[-300:]
        except OSError:
            return "(no server log)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
