"""Fixtures: a database on SQLite and on PostgreSQL.

PostgreSQL is ZOOMCAL_TEST_POSTGRES_URL's server when that is set; otherwise a throwaway server
that the run starts in a temp folder (tests/databases.py) and deletes at its end. Where neither
can be had, the PostgreSQL variants skip and say why.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
from contextlib import asynccontextmanager

import pytest

from storage import migrate
from storage.db import Database
from tests import databases
from tests.fakes import FakeMicrosoft, FakeZoom, make_tls
from tests.schema_copy import upgrade_from_copy

POSTGRES_URL = os.environ.get("ZOOMCAL_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of a PostgreSQL server the tests may create databases on (started on first use)."""
    if POSTGRES_URL:
        yield POSTGRES_URL
        return
    server = databases.TemporaryServer()
    try:
        url = server.start()
    except databases.Unavailable as why:
        pytest.skip(f"PostgreSQL test: {why}; install PostgreSQL (initdb, pg_ctl) or set ZOOMCAL_TEST_POSTGRES_URL")
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_pool(postgres_server):
    """Empty databases on that server, one per test, emptied and renamed between tests (tests/databases.py)."""
    pool = databases.DatabasePool(postgres_server)
    try:
        yield pool
    finally:
        asyncio.run(pool.close())


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request, tmp_path):
    """A fresh, empty database of each kind for one test."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'zoomcal.db'}"
        return
    async with fresh_postgres(request) as url:
        yield url


@pytest.fixture
async def postgres_url(request):
    """A fresh PostgreSQL database (for what only PostgreSQL does, like several replicas)."""
    async with fresh_postgres(request) as url:
        yield url


@asynccontextmanager
async def fresh_postgres(request):
    # Asked for here, not as a parameter: a run of SQLite tests only starts no server.
    pool = request.getfixturevalue("postgres_pool")
    async with pool.lease() as url:
        yield url


@pytest.fixture
async def db(database_url):
    """A migrated database."""
    await upgrade_from_copy(database_url)  # Alembic's work copied: the upgrade below finds it done
    database = Database(database_url)
    await migrate.upgrade(database.engine)
    yield database
    await database.close()


@pytest.fixture
async def stack(tmp_path, database_url):
    from tests.harness import Stack

    await upgrade_from_copy(database_url)  # the bot's start-up then finds its schema in place
    async with Stack(tmp_path, database_url) as running:
        yield running


@pytest.fixture
def captured():
    """Log lines as the tests' own stream; the logging set-up is restored afterwards."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


@pytest.fixture
async def zoom():
    """The fake Zoom alone, for the Zoom client's tests."""
    async with FakeZoom() as fake:
        yield fake


@pytest.fixture
async def microsoft(tmp_path):
    """The fake Microsoft alone (TLS; its CA in ``ca_path``), for the Microsoft client's tests."""
    tls = make_tls(tmp_path)
    async with FakeMicrosoft(ssl_context=tls.server_context) as fake:
        fake.ca_path = tls.ca_path
        yield fake
