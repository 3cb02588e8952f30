"""Engine and transactions. SQLite gets the pragmas a multi-connection server needs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from contextvars import ContextVar

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage.repository import Repository

_BACKGROUND: ContextVar[bool] = ContextVar("background", default=False)
# Background transactions at once. A few hide PostgreSQL's round trips; more only let a crowd of
# jobs (say, a hundred whose slow upstream calls returned together) take the pool and the CPU at once.
BACKGROUND_CONNECTIONS = 8
ACK_RESERVE = 4  # PostgreSQL connections background work always leaves to Slack's acks


@contextmanager
def background() -> Iterator[None]:
    """Marks work that can wait (jobs, upkeep), and the tasks it starts.

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
    return {"pool_size": 20, "max_overflow": 20, "pool_pre_ping": True}


def make_engine(url: str, **kwargs) -> AsyncEngine:
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

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repository]:
        """One unit of work: commits on success, rolls back on any error."""
        async with AsyncExitStack() as stack:
            if _BACKGROUND.get():
                await stack.enter_async_context(self._background)
            session = await stack.enter_async_context(self._sessions())
            await stack.enter_async_context(session.begin())
            yield Repository(session)

    async def scrub(self) -> None:
        """After deleting secrets: on SQLite, fold the WAL into the (secure_delete) file and empty it."""
        if self.engine.dialect.name != "sqlite":
            return  # PostgreSQL: VACUUM reclaims dead tuples; autovacuum runs it
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # readiness: any failure means "not ready"
            return False

    async def close(self) -> None:
        await self.engine.dispose()
