"""The tests' own PostgreSQL: without ZOOMCAL_TEST_POSTGRES_URL a run starts a throwaway server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests import databases


def started_or_skip(server: databases.TemporaryServer) -> str:
    try:
        return server.start()
    except databases.Unavailable as why:
        pytest.skip(f"no throwaway PostgreSQL server here: {why}")


async def test_a_throwaway_server_serves_fresh_databases_and_leaves_nothing_behind():
    server = databases.TemporaryServer()
    url = started_or_skip(server)
    try:
        folder = server.folder
        assert folder.is_dir() and (folder / "data" / "PG_VERSION").exists()
        async with databases.fresh_postgres(url) as fresh:
            conn = await asyncpg.connect(make_url(fresh).set(drivername="postgresql").render_as_string(False))
            try:
                assert await conn.fetchval("SELECT current_database()") == make_url(fresh).database
                assert await conn.fetchval("SELECT current_user") == "postgres"
                assert await conn.fetchval("SHOW server_encoding") == "UTF8"
            finally:
                await conn.close()
    finally:
        server.stop()
    assert not folder.exists(), "stop deletes the server's folder"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", make_url(url).port)) != 0, "the server is stopped"


def test_root_without_a_user_to_run_the_server_as_gets_a_reason(monkeypatch):
    if os.geteuid() != 0 or databases.server_binaries() is None:
        pytest.skip("only a root run with PostgreSQL installed needs another OS user for the server")
    monkeypatch.setattr(databases, "SERVER_USER", "no-such-user-zoomcal")
    with pytest.raises(databases.Unavailable, match="initdb refuses root: no 'no-such-user-zoomcal' OS user"):
        databases.TemporaryServer().start()


def test_without_a_server_url_the_postgresql_variants_run_rather_than_skip(tmp_path):
    if databases.server_binaries() is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    env = {k: v for k, v in os.environ.items() if k != "ZOOMCAL_TEST_POSTGRES_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
         "tests/test_storage.py", "-k", "consent_state_is_single_use"],
        env=env, capture_output=True, text=True, timeout=170,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout and "skipped" not in result.stdout, result.stdout
