"""Fixtures: a database on SQLite and (when ZOOMCAL_TEST_POSTGRES_URL is set) on PostgreSQL."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

import pytest

from storage import migrate
from storage.db import Database
from tests import databases

POSTGRES_URL = os.environ.get("ZOOMCAL_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request, tmp_path):
    """A fresh, empty database of each kind for one test."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'zoomcal.db'}"
        return
    async with fresh_postgres() as url:
        yield url


@pytest.fixture
async def postgres_url():
    """A fresh PostgreSQL database (for what only PostgreSQL does, like several replicas)."""
    async with fresh_postgres() as url:
        yield url


@asynccontextmanager
async def fresh_postgres():
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL test: set ZOOMCAL_TEST_POSTGRES_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)")
    async with databases.fresh_postgres(POSTGRES_URL) as url:
        yield url


@pytest.fixture
async def db(database_url):
    """A migrated database."""
    database = Database(database_url)
    await migrate.upgrade(database.engine)
    yield database
    await database.close()


@pytest.fixture
async def stack(tmp_path, database_url):
    from tests.harness import Stack

    async with Stack(tmp_path, database_url) as running:
        yield running
