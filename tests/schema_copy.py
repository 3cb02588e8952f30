"""The newest schema in an empty test database, as a copy of what Alembic made once in this run.

Most tests need the schema but test nothing about making it; running Alembic for each of them
took 50 ms (SQLite) to 100 ms (PostgreSQL) a test. ``upgrade_from_copy`` does Alembic's work on
the first database of each kind and copies the result into the next ones: the SQLite file's bytes,
or on PostgreSQL the DDL Alembic sent, replayed in one round trip. A database that is not empty
(or whose copy could not be made) is left as it is: the bot's own start-up migrates it as usual.
The migrations themselves are tested where they matter (test_storage, test_cli, test_packaging,
the replicas and the console, which start on empty databases); test_schema_copy checks the copy
against Alembic.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy import event, make_url

from storage import migrate
from storage.db import Database

_sqlite_image: bytes | None = None
_postgres_script: str | None = None
_postgres_unreplayable = False  # Alembic sent a statement with parameters: the copy would not be faithful


async def upgrade_from_copy(url: str) -> None:
    """Gives an empty database the schema (and alembic_version) ``zoomcal db upgrade`` gives it."""
    parts = make_url(url)
    if parts.get_backend_name() == "sqlite":
        await _sqlite(parts.database)
    elif parts.get_backend_name() == "postgresql":
        await _postgresql(url)


async def _sqlite(path: str | None) -> None:
    global _sqlite_image
    if not path or path == ":memory:" or any(os.path.exists(path + s) for s in ("", "-wal", "-shm", "-journal")):
        return
    if _sqlite_image is None:
        with tempfile.TemporaryDirectory(prefix="zoomcal-schema-") as folder:
            image = Path(folder) / "zoomcal.db"
            db = Database(f"sqlite+aiosqlite:///{image}")
            try:
                await migrate.upgrade(db.engine)
            finally:
                await db.close()
            if any(Path(str(image) + s).exists() for s in ("-wal", "-journal")):
                return  # not all in the one file: leave it to Alembic
            _sqlite_image = image.read_bytes()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # the mode the bot gives its file
    with os.fdopen(fd, "wb") as file:
        file.write(_sqlite_image)


_IS_EMPTY = "SELECT NOT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = 'public'::regnamespace)"


async def _postgresql(url: str) -> None:
    global _postgres_script, _postgres_unreplayable
    import asyncpg

    if _postgres_unreplayable:
        return
    if _postgres_script is None:
        db = Database(url)
        sent: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany) -> None:
            global _postgres_unreplayable
            if statement.lstrip().upper().startswith("SELECT"):
                return  # Alembic's look-ups and its lock: they change nothing
            if parameters:
                _postgres_unreplayable = True
            sent.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        try:
            async with db.engine.connect() as conn:
                empty = (await conn.exec_driver_sql(_IS_EMPTY)).scalar()
            if not empty:
                return
            await migrate.upgrade(db.engine)
        finally:
            await db.close()
        if not _postgres_unreplayable:
            _postgres_script = ";\n".join(sent)
        return
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        async with conn.transaction():
            if await conn.fetchval(_IS_EMPTY):
                await conn.execute(_postgres_script)
    finally:
        await conn.close()
