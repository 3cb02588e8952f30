"""Multi-workspace mode: Slack's OAuth install, one bot token per workspace, uninstall forgets it."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from storage.models import ConsentRequest, SlackWorkspace
from tests.flows import enable, event, install, last_response, rows
from tests.harness import ADMIN, TEAM, Stack

OTHER_TEAM = "T0OTHER1"
OTHER_ADMIN = "UOTHERAD"


@pytest.fixture
async def multi(tmp_path, database_url):
    env = {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "slack-client-secret",
           "ZOOMCAL_SLACK_TEAMS": f"{TEAM},{OTHER_TEAM}"}
    async with Stack(tmp_path, database_url, **env) as stack:
        stack.slack.team_tokens.clear()  # nothing is installed until someone installs it
        stack.slack.add_user(OTHER_ADMIN, "admin@other.example", "otto", team_id=OTHER_TEAM)
        stack.zoom.add_user("admin@other.example", role_name="Admin")
        yield stack


async def until(stack: Stack, check, timeout: float = 5.0) -> bool:
    """Whether the workspaces left satisfy ``check`` within ``timeout`` (the forgetting is a job)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check(await rows(stack, SlackWorkspace)):
            return True
        await asyncio.sleep(0.05)
    return False


async def test_install_binds_the_workspace_and_seals_its_token(multi):
    status, page = await install(multi, TEAM, ADMIN)
    assert status == 200, page
    [workspace] = await rows(multi, SlackWorkspace)
    assert (workspace.workspace_id, workspace.zoom_account_id, workspace.installed_by) == (
        TEAM, multi.zoom.account_id, ADMIN,
    )
    async with multi.runtime.db.engine.connect() as conn:
        bots = (await conn.execute(text("SELECT * FROM slack_bots"))).mappings().all()
        states = (await conn.execute(text("SELECT state FROM slack_oauth_states"))).scalars().all()
    [bot] = bots
    issued = [t for t, team in multi.slack.team_tokens.items() if team == TEAM]
    assert issued and not any(token in str(value) for token in issued for value in bot.values())
    assert "xoxb-" not in str(dict(bot)), "no bot token in plain text"
    assert len(states) == 1 and "." not in states[0], "the used OAuth state is kept as a hash until it expires"

    status, body, _ = await multi.command("status group Sales")
    assert status == 200, body
    assert "inherits account" in await last_response(multi)
    assert ("users.info", TEAM) in multi.slack.api_calls, "the workspace's own token is used"


async def test_each_workspace_answers_with_its_own_token(multi):
    assert (await install(multi, TEAM, ADMIN))[0] == 200
    assert (await install(multi, OTHER_TEAM, OTHER_ADMIN))[0] == 200
    status, _, _ = await multi.command("status account", OTHER_ADMIN, team=OTHER_TEAM)
    assert status == 200
    await last_response(multi)
    assert ("users.info", OTHER_TEAM) in multi.slack.api_calls
    # A user of one workspace is unknown to the other's token: refused, nothing leaks across.
    await multi.command("status account", OTHER_ADMIN, team=TEAM)
    assert "only Zoom account owners and admins" in await last_response(multi, 2)


async def test_a_workspace_that_never_installed_gets_no_answer_from_the_listeners(multi):
    status, _, _ = await multi.command("status")
    assert status == 200
    [answer] = await multi.slack.wait_for(multi.slack.is_response)
    assert "reinstall this app" in answer.json()["text"]
    assert not multi.slack.api_calls, "no job ran: nothing called Slack"


async def test_uninstall_forgets_the_workspace_and_cancels_its_consent_links(multi):
    await install(multi, TEAM, ADMIN)
    await install(multi, OTHER_TEAM, OTHER_ADMIN)
    _, link = await enable(multi, "enable group Sales")
    assert await event(multi, TEAM, {"type": "app_uninstalled"}) == 200
    assert await until(multi, lambda left: [w.workspace_id for w in left] == [OTHER_TEAM])
    async with multi.runtime.db.engine.connect() as conn:
        teams = (await conn.execute(text("SELECT team_id FROM slack_bots"))).scalars().all()
    assert teams == [OTHER_TEAM]
    [request] = await rows(multi, ConsentRequest)
    assert request.cancelled_at is not None, "a consent link from an uninstalled workspace stops working"
    state = dict(p.split("=", 1) for p in urlsplit(link).query.split("&"))["state"]
    status, page, _ = await multi.callback({"admin_consent": "True", "tenant": multi.tenant_id, "state": state})
    assert status == 400, page

    await multi.command("status")
    answers = await multi.slack.wait_for(lambda r: multi.slack.is_response(r) and "reinstall" in r.body.decode())
    assert answers, "this replica forgot its cached token at once"


async def test_revoked_user_tokens_alone_change_nothing(multi):
    await install(multi, TEAM, ADMIN)
    assert await event(multi, TEAM, {"type": "tokens_revoked", "tokens": {"oauth": [ADMIN]}}) == 200
    assert await event(multi, TEAM, {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}) == 200
    assert await until(multi, lambda left: not left), "a revoked bot token forgets the workspace"
