"""The tests' PostgreSQL databases: reused between tests, yet each test's is empty and its own."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests import databases

PREFIX = "zoomcal_pooltest"
_PUBLIC = (
    "SELECT nspowner::regrole::text, nspacl::text, obj_description(oid, 'pg_namespace')"
    " FROM pg_namespace WHERE nspname = 'public'"
)
_USER_SCHEMAS = (
    "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')"
    r" AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%' ORDER BY 1"
)


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def test_a_reused_database_is_empty_renamed_and_cut_off_from_its_last_user(postgres_server):
    pool = databases.DatabasePool(postgres_server, prefix=PREFIX)
    try:
        async with pool.lease() as first:
            left_open = await asyncpg.connect(dsn(first))  # a connection the test never closes
            await left_open.execute(
                "CREATE TABLE t (id serial PRIMARY KEY); INSERT INTO t DEFAULT VALUES;"
                " CREATE SCHEMA extra; CREATE TABLE extra.u (x int); CREATE TYPE mood AS ENUM ('ok')"
            )
            first_oid = await left_open.fetchval("SELECT oid FROM pg_database WHERE datname = current_database()")

        async with pool.lease() as second, databases.fresh_postgres(postgres_server, prefix=PREFIX) as new:
            assert make_url(second).database != make_url(first).database, "each test's database has its own name"
            conn, brand_new = await asyncpg.connect(dsn(second)), await asyncpg.connect(dsn(new))
            try:
                oid = await conn.fetchval("SELECT oid FROM pg_database WHERE datname = current_database()")
                assert oid == first_oid, "the first test's database, reused"
                assert await conn.fetch(_USER_SCHEMAS) == await brand_new.fetch(_USER_SCHEMAS)
                assert [r[0] for r in await conn.fetch(_USER_SCHEMAS)] == ["public"]
                assert await conn.fetch(_PUBLIC) == await brand_new.fetch(_PUBLIC), "public as CREATE DATABASE makes it"
                assert await conn.fetchval("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace") == 0
                assert await conn.fetchval("SELECT count(*) FROM pg_type WHERE typname = 'mood'") == 0
                await conn.execute("CREATE TABLE t (id serial PRIMARY KEY)")  # the names are free again
                await conn.execute("INSERT INTO t DEFAULT VALUES")
                assert await conn.fetchval("SELECT id FROM t") == 1, "sequences start over"
            finally:
                await conn.close()
                await brand_new.close()

        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
            await left_open.fetchval("SELECT 1")  # cut off when its test ended
        with pytest.raises(asyncpg.InvalidCatalogNameError):
            await asyncpg.connect(dsn(first))  # and its database's name is gone, as if dropped
    finally:
        await pool.close()
        if not left_open.is_closed():
            left_open.terminate()

    admin = await asyncpg.connect(dsn(postgres_server))
    try:
        left = await admin.fetchval("SELECT count(*) FROM pg_database WHERE datname LIKE $1", PREFIX + "%")
    finally:
        await admin.close()
    assert left == 0, "close drops every database of the pool"


async def test_two_tests_at_once_get_two_databases(postgres_server):
    pool = databases.DatabasePool(postgres_server, prefix=PREFIX)
    try:
        async with pool.lease() as one, pool.lease() as two:
            assert make_url(one).database != make_url(two).database
            a, b = await asyncpg.connect(dsn(one)), await asyncpg.connect(dsn(two))
            try:
                await a.execute("CREATE TABLE only_in_one (x int)")
                assert await b.fetchval("SELECT to_regclass('only_in_one')") is None
            finally:
                await a.close()
                await b.close()
    finally:
        await pool.close()
