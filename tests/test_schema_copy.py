"""The copied schema the `stack` and `db` fixtures start from is the one Alembic makes."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from sqlalchemy import inspect, text

from storage import migrate
from storage.db import Database
from tests import schema_copy
from tests.schema_copy import upgrade_from_copy


def described(sync_conn) -> dict:
    """Every table's columns, keys, indexes and constraints, and the revision, as SQLAlchemy sees them."""
    inspector = inspect(sync_conn)
    tables = {}
    for table in sorted(inspector.get_table_names()):
        tables[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in inspector.get_columns(table)],
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(str(sorted(fk.items())) for fk in inspector.get_foreign_keys(table)),
            "indexes": sorted(str(sorted(ix.items())) for ix in inspector.get_indexes(table)),
            "unique": sorted(str(sorted(u.items())) for u in inspector.get_unique_constraints(table)),
            "checks": sorted(str(sorted(c.items())) for c in inspector.get_check_constraints(table)),
        }
    revision = sync_conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return {"tables": tables, "revision": revision}


async def description(url: str) -> dict:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            return await conn.run_sync(described)
    finally:
        await db.close()


@asynccontextmanager
async def three_empty(kind: str, tmp_path, request):
    if kind == "sqlite":
        yield [f"sqlite+aiosqlite:///{tmp_path / name}" for name in ("first.db", "alembic.db", "copy.db")]
        return
    pool = request.getfixturevalue("postgres_pool")
    async with pool.lease() as one, pool.lease() as two, pool.lease() as three:
        yield [one, two, three]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_the_copy_is_what_alembic_makes(kind, tmp_path, request):
    async with three_empty(kind, tmp_path, request) as (first, by_alembic, by_copy):
        await upgrade_from_copy(first)  # were it the run's first database of its kind, Alembic's work is recorded here
        assert schema_copy._sqlite_image if kind == "sqlite" else schema_copy._postgres_script
        db = Database(by_alembic)
        try:
            await migrate.upgrade(db.engine)
        finally:
            await db.close()
        await upgrade_from_copy(by_copy)
        await upgrade_from_copy(by_copy)  # a database not empty any more is left alone
        expected = await description(by_alembic)
        assert expected["revision"] == migrate.head() and len(expected["tables"]) >= 10
        assert await description(by_copy) == expected


async def test_a_database_with_tables_is_left_to_the_bots_own_migration(tmp_path):
    path = tmp_path / "zoomcal.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await migrate.upgrade(db.engine, "0006")
    finally:
        await db.close()
    await upgrade_from_copy(f"sqlite+aiosqlite:///{path}")
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        assert await migrate.current(db.engine) == "0006"
    finally:
        await db.close()
