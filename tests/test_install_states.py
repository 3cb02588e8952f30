"""Slack OAuth states (multi-workspace mode): GETs store nothing, used states are purged once expired."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import aiohttp
import pytest
from sqlalchemy import text

from bot.services.maintenance import Maintenance
from tests.flows import install
from tests.harness import ADMIN, MULTI_WORKSPACE, Stack, TEAM

MULTI = dict(MULTI_WORKSPACE)


@pytest.fixture
async def multi(tmp_path, database_url):
    async with Stack(tmp_path, database_url, **MULTI) as stack:
        stack.slack.team_tokens.clear()
        yield stack


async def states(stack: Stack) -> list[tuple[str, datetime]]:
    async with stack.runtime.db.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text("SELECT state, expire_at FROM slack_oauth_states")))]


async def test_a_flood_of_install_page_gets_stores_no_state(multi):
    async def get(http: aiohttp.ClientSession) -> int:
        async with http.get(f"{multi.url}/slack/install") as page:
            assert "oauth/v2/authorize" in await page.text() and "Set-Cookie" in page.headers
            return page.status

    async with aiohttp.ClientSession() as http:
        assert set(await asyncio.gather(*(get(http) for _ in range(300)))) == {200}
    assert await states(multi) == []


async def test_a_used_state_works_once_and_upkeep_purges_it_once_expired(multi):
    async with aiohttp.ClientSession() as browser:  # the redirect back, replayed: refused the second time
        async with browser.get(f"{multi.url}/slack/install") as page:
            cookie = page.headers["Set-Cookie"].split(";")[0]
            state = cookie.split("=", 1)[1]
            authorize = html.unescape(re.search(r'href="([^"]*/oauth/v2/authorize[^"]*)"', await page.text())[1])
        for expected in (200, 401):
            multi.slack.install_as = (TEAM, ADMIN)
            async with browser.get(authorize, allow_redirects=False) as approved:  # a fresh code each time
                redirect = urlsplit(approved.headers["Location"])
            async with browser.get(f"{multi.url}{redirect.path}?{redirect.query}", headers={"Cookie": cookie}) as done:
                assert done.status == expected, await done.text()
    [(hashed, _)] = await states(multi)
    assert hashed != state

    async with multi.runtime.db.engine.begin() as conn:  # one from an hour ago (the old store left thousands)
        past = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(hours=1)
        await conn.execute(text("INSERT INTO slack_oauth_states (state, expire_at) VALUES ('old', :at)"), {"at": past})
    runtime = multi.runtime
    maintenance = Maintenance(runtime.db, runtime.services.deps.directory, runtime.jobs)
    assert await maintenance.purge_expired_oauth_states() == 1
    assert [s for s, _ in await states(multi)] == [hashed], "the used state stays until it expires"
    async with runtime.db.engine.begin() as conn:
        await conn.execute(text("UPDATE slack_oauth_states SET expire_at = :at"), {"at": past})
    assert await maintenance.purge_expired_oauth_states() == 1
    assert await states(multi) == []


async def test_install_still_completes(multi):
    status, page = await install(multi, TEAM, ADMIN)
    assert status == 200, page
