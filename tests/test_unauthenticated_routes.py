"""The SQLite file is the owner's alone, and routes anyone may call never stand between an ack and it."""

from __future__ import annotations

import asyncio
import os
import stat
import uuid

import pytest
from sqlalchemy import event, text

from tests.flows import install
from tests.harness import MULTI_WORKSPACE, Stack


@pytest.fixture
def umask_022():
    saved = os.umask(0o022)  # the usual umask, under which SQLite would create the file 0644
    yield
    os.umask(saved)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


async def test_the_sqlite_file_the_bot_creates_is_the_owners_alone(tmp_path, umask_022):
    path = tmp_path / "zoomcal.db"
    async with Stack(tmp_path, f"sqlite+aiosqlite:///{path}") as stack:
        assert (await stack.command("help"))[0] == 200
        files = [path, tmp_path / "zoomcal.db-wal", tmp_path / "zoomcal.db-shm"]
        assert all(f.exists() for f in files), "WAL mode keeps its -wal and -shm files while open"
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}


async def test_an_existing_sqlite_file_readable_by_others_is_narrowed(tmp_path, umask_022):
    path = tmp_path / "zoomcal.db"
    for name in ("zoomcal.db", "zoomcal.db-wal", "zoomcal.db-shm"):
        (tmp_path / name).touch(mode=0o644)
        os.chmod(tmp_path / name, 0o644)
    async with Stack(tmp_path, f"sqlite+aiosqlite:///{path}") as stack:
        assert (await stack.get("/readyz"))[0] == 200
        assert {n: mode(tmp_path / n) for n in ("zoomcal.db", "zoomcal.db-wal", "zoomcal.db-shm")} == {
            n: 0o600 for n in ("zoomcal.db", "zoomcal.db-wal", "zoomcal.db-shm")
        }


async def checkouts_ahead_of_an_ack(stack: Stack, flood_path: str, clients: int = 20) -> int:
    """Database checkouts served, once the database frees up, before an ack's transaction that came
    after a flood of ``flood_path``.

    The test holds SQLite's one connection while ``clients`` requests arrive over HTTP, then starts
    a transaction as a Slack ack does (not background work: the job row every ack writes), lets go
    and counts the flood's checkouts that got the connection first.
    """
    db = stack.runtime.db
    checkouts: list[str] = []
    listener = lambda *_: checkouts.append("flood")  # noqa: E731
    event.listen(db.engine.sync_engine, "checkout", listener)
    statuses: list[int] = []

    async def get(path: str) -> None:
        random = uuid.uuid4().hex  # a state that the install flow's cookie matches: it is then looked up
        headers = {"Cookie": f"slack-app-oauth-state={random}"}
        async with stack.http.get(stack.url + path.replace("{random}", random), headers=headers, allow_redirects=False) as r:
            await r.read()
            statuses.append(r.status)

    async def ack() -> None:
        async with db.transaction() as repo:
            await repo.session.execute(text("SELECT 1"))  # the connection is checked out here
            checkouts.append("ack")

    try:
        async with db.engine.connect():  # the pool's only connection
            floods = [asyncio.create_task(get(flood_path)) for _ in range(clients)]
            await asyncio.sleep(0.3)  # every flood request is waiting for the database
            acking = asyncio.create_task(ack())
            await asyncio.sleep(0.1)
            checkouts.clear()
        await acking
        await asyncio.gather(*floods)
    finally:
        event.remove(db.engine.sync_engine, "checkout", listener)
    assert len(statuses) == clients and max(statuses) < 500, statuses
    assert checkouts.count("flood") >= 1, "the flood used the database"
    return checkouts.index("ack") - 1  # the checkout just before the mark is the ack's own


async def test_metrics_scrapes_and_callbacks_do_not_queue_ahead_of_acks(tmp_path):
    async with Stack(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'zoomcal.db'}") as stack:
        await stack.command("help")  # warm up
        for path in ("/metrics", "/microsoft/callback?state={random}&admin_consent=True&tenant=t"):
            assert await checkouts_ahead_of_an_ack(stack, path) < 5, path


async def test_install_pages_do_not_queue_ahead_of_acks(tmp_path):
    env = dict(MULTI_WORKSPACE)
    async with Stack(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'zoomcal.db'}", **env) as stack:
        stack.slack.team_tokens.clear()
        status, page = await install(stack, "T0001", "UADMIN01")
        assert status == 200, page
        await stack.command("help")  # warm up (and the workspace's token is read once a minute)
        for path in ("/slack/install", "/slack/oauth_redirect?code={random}&state={random}"):
            assert await checkouts_ahead_of_an_ack(stack, path) < 5, path


async def test_the_database_gauge_notices_a_database_that_is_gone_and_readiness_does_not_fail(tmp_path):
    async with Stack(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'zoomcal.db'}") as stack:
        assert "zoomcal_database_up 1.0" in (await stack.get("/metrics"))[1]
        await stack.runtime.db.engine.dispose()
        for name in ("zoomcal.db", "zoomcal.db-wal", "zoomcal.db-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        (tmp_path / "zoomcal.db").mkdir()  # SQLite cannot open a folder
        await asyncio.sleep(1.1)  # past the second one check answers for
        status, page = await stack.get("/metrics")
        assert status == 200 and "zoomcal_database_up 0.0" in page
        assert await stack.get("/readyz") == (200, "ready"), "every replica shares the database: readiness stays"
