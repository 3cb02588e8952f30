"""The `zoomcal` command as an operator runs it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import aiohttp
from cryptography.fernet import Fernet

from tests.harness import Replica, Stack

ZOOMCAL = [sys.executable, "-m", "bot.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*ZOOMCAL, *args], env=env, capture_output=True, text=True, timeout=120)


def test_keys_generate_prints_a_fernet_key():
    result = run("keys", "generate")
    assert result.returncode == 0
    Fernet(result.stdout.strip())  # raises if not a key


def test_db_upgrade_creates_the_tables(tmp_path):
    path = tmp_path / "z.db"
    env = dict(os.environ, ZOOMCAL_DATABASE_URL=f"sqlite+aiosqlite:///{path}")
    result = run("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"integrations", "credentials", "consent_requests", "audit_events"} <= tables


async def test_serve_migrates_answers_health_and_stops_on_sigterm(tmp_path, database_url):
    async with Stack(tmp_path, database_url) as stack:
        # A second database for the process, so the in-test bot and the process do not share one.
        replica = await Replica(stack.env | {"ZOOMCAL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"}).start()
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{replica.url}/microsoft/callback?state=secret-state-123") as r:
                assert r.status == 400
        assert await replica.stop() == 0, replica.stderr
        log = replica.stderr
        assert "secret-state-123" not in log, "the access log must not carry the consent state"
        assert "/microsoft/callback" in log
        assert "Traceback" not in log
        for secret in stack.settings.secrets:
            assert secret not in log
