"""Engine and transactions. SQLite gets the pragmas a multi-connection server needs."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from contextvars import ContextVar

import asyncpg
from sqlalchemy import event, exc, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage.repository import Repository

log = logging.getLogger(__name__)
_BACKGROUND: ContextVar[bool] = ContextVar("background", default=False)
_SHARING: ContextVar[bool] = ContextVar("sharing", default=False)  # inside Database.shared()
# Transactions of work that is not a Slack request (upkeep, the domain check, the consent callback,
# the install pages, readiness probes) at once: a few hide PostgreSQL's round trips; more let a crowd
# of them take the pool first (tests/test_unauthenticated_routes.py: a flood of 20 such requests was
# served ahead of an ack's transaction 20 times without the share, 1-2 times with it).
BACKGROUND_CONNECTIONS = 8
ACK_RESERVE = 4  # PostgreSQL connections background work always leaves to Slack's acks
READY_FRESH = 1.0  # seconds one database check answers for: a flood of scrapes costs one query a second
# How long opening a PostgreSQL connection may take (asyncpg waits a minute by default). While a
# failover's address does not answer, an ack must still say "unavailable" within Slack's 3 s:
# a read waits for its answer 1.5 s (handlers.timing), then its job row may need a connection too.
# PostgreSQL on the same network opens one (TLS and authentication included) in milliseconds.
CONNECT_SECONDS = 1.0


class DatabaseUnavailable(Exception):
    """The database cannot be reached (a restart, a failover, the network)."""


def _lost(error: BaseException) -> bool:
    """A statement failed because the connection went away (the server stopped mid-transaction)."""
    return isinstance(error, exc.DBAPIError) and error.connection_invalidated


def unreachable(error: BaseException) -> bool:
    """For code that uses the engine directly (slack_sdk's stores): whether ``error`` is the database
    being out of reach: no connection (refused, timed out, the server starting or stopping; asyncpg
    raises these as they are) or a connection lost."""
    unreached = (OSError, TimeoutError, exc.TimeoutError, asyncpg.CannotConnectNowError, asyncpg.ConnectionDoesNotExistError)
    return _lost(error) or isinstance(error, unreached)


@contextmanager
def background() -> Iterator[None]:
    """Marks work that can wait (upkeep, the domain check, unauthenticated routes), and the tasks it starts.

    Its transactions queue for a share of the connections, so a Slack ack's one write never
    waits behind a crowd of them: on SQLite (one connection) behind at most one.
    """
    token = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


def _pool(url: str) -> dict:
    if url.startswith("sqlite"):
        # SQLite has one writer at a time and its busy handler sleeps coarsely: one connection
        # queued in-process is faster than several fighting over the lock.
        return {"pool_size": 1, "max_overflow": 0}
    # Each Slack request and job holds a connection briefly; a small pool queues them under load.
    # Pre-ping notices connections PostgreSQL dropped (restarts, failovers).
    pool = {"pool_size": 20, "max_overflow": 20, "pool_pre_ping": True}
    if make_url(url).get_driver_name() == "asyncpg" and "timeout" not in make_url(url).query:
        pool["connect_args"] = {"timeout": CONNECT_SECONDS}
    return pool


def private_sqlite_file(url: str) -> None:
    """Makes a SQLite database file readable by its owner only (0600), before SQLite opens it.

    SQLite would create it 0644 less the umask; created here it is 0600 (a umask can only narrow
    that), and SQLite gives its -wal and -shm files the database file's mode. A file already there
    with a wider mode is narrowed, and so are its -wal and -shm files.
    """
    parts = make_url(url)
    path = parts.database
    if parts.get_backend_name() != "sqlite" or not path or path == ":memory:" or parts.query.get("uri"):
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return  # no such folder, or not ours to open: SQLite says so when it opens the file
    try:
        _narrow(path, os.fstat(fd).st_mode, lambda: os.fchmod(fd, 0o600))
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm", "-journal"):
        try:
            mode = os.stat(path + suffix).st_mode
        except OSError:
            continue
        _narrow(path + suffix, mode, lambda: os.chmod(path + suffix, 0o600))


def _narrow(path: str, mode: int, chmod) -> None:
    if stat.S_IMODE(mode) & 0o077:
        try:
            chmod()
            log.warning("%s was readable by others: now 0600", path)
        except OSError as exc:
            log.warning("%s is readable by others and could not be made 0600 (%s)", path, exc.strerror)


def make_engine(url: str, **kwargs) -> AsyncEngine:
    private_sqlite_file(url)
    engine = create_async_engine(url, **(_pool(url) | kwargs))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # secure_delete overwrites deleted credential bytes instead of leaving them in free pages.
    # synchronous=NORMAL in WAL mode: a crash of the process loses nothing; only power loss may drop
    # the last commits. It spares an fsync per commit, which every Slack ack (a job row) pays.
    for pragma in ("foreign_keys=ON", "busy_timeout=10000", "journal_mode=WAL", "synchronous=NORMAL", "secure_delete=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


class Database:
    def __init__(self, url: str, **engine_kwargs):
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        pool = _pool(url) | engine_kwargs
        connections = pool["pool_size"] + pool["max_overflow"]
        self._background = asyncio.Semaphore(max(1, min(BACKGROUND_CONNECTIONS, connections - ACK_RESERVE)))
        self._ready: asyncio.Future[bool] | None = None
        self._ready_at = 0.0

    @asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        """Holds a place in the background share for a whole block: for work that reaches the engine
        directly (slack_sdk's installation and OAuth state stores) instead of through transaction()."""
        async with self._background:
            token = _SHARING.set(True)
            try:
                yield
            finally:
                _SHARING.reset(token)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repository]:
        """One unit of work: commits on success, rolls back on any error.

        Raises DatabaseUnavailable when no connection can be had (the pool's pre-ping drops the
        ones a restart broke: nothing was written) or the connection is lost mid-transaction
        (rolled back by the server; only a loss during the commit itself leaves its fate unknown).
        """
        try:
            async with AsyncExitStack() as stack:
                if _BACKGROUND.get() and not _SHARING.get():
                    await stack.enter_async_context(self._background)
                session = await stack.enter_async_context(self._sessions())
                await stack.enter_async_context(session.begin())
                try:
                    # The connection first: a failure to get one is the database's, never the caller's.
                    await session.connection()
                except Exception as error:
                    raise DatabaseUnavailable(type(error).__name__) from error
                yield Repository(session)
        except Exception as error:
            if _lost(error):  # mid-transaction or at the commit: the server went away
                raise DatabaseUnavailable(type(error).__name__) from error
            raise

    async def scrub(self) -> None:
        """After deleting secrets: on SQLite, fold the WAL into the (secure_delete) file and empty it."""
        if self.engine.dialect.name != "sqlite":
            return  # PostgreSQL: VACUUM reclaims dead tuples; autovacuum runs it
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def ping(self) -> bool:
        """Whether the database answers (/metrics' zoomcal_database_up). Callers within READY_FRESH
        seconds share one check, which queues in the background share: a flood of unauthenticated
        scrapes costs one query a second and never stands between a Slack ack and the database."""
        now = asyncio.get_running_loop().time()
        if self._ready is None or (self._ready.done() and now - self._ready_at >= READY_FRESH):
            self._ready, self._ready_at = asyncio.ensure_future(self._check()), now
        return await asyncio.shield(self._ready)

    async def _check(self) -> bool:
        try:
            async with self._background, self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # any failure means "down"
            return False

    async def close(self) -> None:
        await self.engine.dispose()
