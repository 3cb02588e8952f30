"""PostgreSQL for the tests: a throwaway server when none is given, and a fresh database per test.

``fresh_postgres`` makes one empty database on a server and drops it afterwards (benchmarks).
``DatabasePool`` gives each test an empty database under a name of its own, reusing the databases
earlier tests emptied (the test run's fixtures). ``TemporaryServer`` runs a server of its own in a
temp folder, from PostgreSQL's ``initdb`` and ``pg_ctl``, for a test run that was given no
``ZOOMCAL_TEST_POSTGRES_URL``.
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


class DatabasePool:
    """Empty databases on one server for one test at a time, each under a name no test had before.

    CREATE DATABASE copies a template's 8 MB: 0.1 s on a quiet machine, 0.3-0.5 s on a busy one,
    and a test run asks for a few hundred. So a database a test has finished with is emptied
    instead (every schema dropped, ``public`` made anew as PostgreSQL makes it: about 10 ms) and
    renamed, so a process the test left behind cannot reach the next test's data, just as if its
    database had been dropped. ``close`` drops them all. The pool holds names only (each step opens
    its own connection), so one pool serves tests that each run in an event loop of their own.
    """

    def __init__(self, server_url: str, prefix: str = "zoomcal_test"):
        self._base = make_url(server_url)
        self._admin_dsn = _dsn(self._base)
        self._prefix = prefix
        self._idle: list[str] = []  # emptied, renamed, ready for the next test
        self._made: set[str] = set()  # every database of the pool, under its current name

    @asynccontextmanager
    async def lease(self) -> AsyncIterator[str]:
        """An empty database's SQLAlchemy URL for the block; emptied for the next one afterwards."""
        name = self._idle.pop() if self._idle else await self._create()
        try:
            yield self._base.set(database=name).render_as_string(hide_password=False)
        finally:
            await self._recycle(name)

    async def close(self) -> None:
        import asyncpg

        self._idle.clear()
        if not self._made:
            return
        conn = await asyncpg.connect(self._admin_dsn)
        try:
            for name in sorted(self._made):
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self._made.clear()

    def _new_name(self) -> str:
        return f"{self._prefix}_{uuid.uuid4().hex[:12]}"

    async def _create(self) -> str:
        import asyncpg

        name = self._new_name()
        conn = await asyncpg.connect(self._admin_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        finally:
            await conn.close()
        self._made.add(name)
        return name

    async def _recycle(self, name: str) -> None:
        """Renames the database (cutting off whoever is still connected) and empties it; drops it if that fails."""
        import asyncpg

        conn = await asyncpg.connect(self._admin_dsn)
        try:
            renamed = self._new_name()
            for _ in range(5):  # a connection may arrive between the cut and the rename
                await conn.execute(_DISCONNECT, name)
                try:
                    await conn.execute(f'ALTER DATABASE "{name}" RENAME TO "{renamed}"')
                except asyncpg.ObjectInUseError:
                    continue
                self._made.discard(name)
                self._made.add(renamed)
                break
            else:
                renamed = None
            if renamed is not None and await self._empty(renamed):
                self._idle.append(renamed)
                return
            stale = renamed or name
            await conn.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
            self._made.discard(stale)
        finally:
            await conn.close()

    async def _empty(self, name: str) -> bool:
        import asyncpg

        try:
            conn = await asyncpg.connect(_dsn(self._base.set(database=name)))
        except (OSError, asyncpg.PostgresError):
            return False
        try:
            await conn.execute(_EMPTY)
            return True
        except asyncpg.PostgresError:
            return False
        finally:
            await conn.close()


def _dsn(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


_DISCONNECT = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
# Every schema a test made, and public with everything in it; then public as a new database has it.
_EMPTY = r"""
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN
        SELECT nspname FROM pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema')
          AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%'
    LOOP
        EXECUTE format('DROP SCHEMA %I CASCADE', name);
    END LOOP;
    IF current_setting('server_version_num')::int >= 150000 THEN
        CREATE SCHEMA public AUTHORIZATION pg_database_owner;
        GRANT USAGE ON SCHEMA public TO PUBLIC;
    ELSE
        CREATE SCHEMA public;
        GRANT ALL ON SCHEMA public TO PUBLIC;
    END IF;
    COMMENT ON SCHEMA public IS 'standard public schema';
END
$$;
"""


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
