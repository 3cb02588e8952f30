"""Only zoomcal's own Slack teams: ZOOMCAL_SLACK_TEAMS, or the bot token's team. Real HTTP against the fakes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from bot.clients.http import client_session
from bot.config import SettingsError, load_settings
from bot.domain import Actor
from bot.services.access import AccessPolicy
from bot.workspaces import SingleWorkspace, slack_teams
from handlers.blocks import ids
from handlers.teams import REFUSAL
from storage.models import SlackWorkspace
from tests.flows import command_answer, event, install, rows, text_of
from tests.harness import ADMIN, BOOTSTRAP, TEAM, Stack, zoom_client
from tests.test_config import MINIMAL

FOREIGN = "T0EVIL01"
OTHER_TEAM = "T0OTHER1"
OTHER_ADMIN = "UOTHERAD"
MULTI = {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "slack-client-secret"}


def lookups(stack: Stack) -> list[str]:
    """Every call that judges or acts for a user: Slack's users.info, Zoom's users, anything at Microsoft."""
    found = [m for m, _ in stack.slack.api_calls if m == "users.info"]
    found += [r.path for r in stack.zoom.calls("/v2/users")]
    return found + [r.path for r in stack.microsoft.requests]


async def click_disable(stack: Stack, team: str, user: str) -> tuple[int, str]:
    payload = {
        "type": "block_actions", "team": {"id": team, "domain": "evil"}, "user": {"id": user, "team_id": team},
        "api_app_id": "A0ZOOMCAL", "trigger_id": stack.slack.new_trigger_id(), "container": {"type": "message"},
        "response_url": stack.slack.new_response_url(), "channel": {"id": "C0GENERAL"}, "message": {"ts": "1.1"},
        "actions": [{"action_id": ids.DISABLE_ACTION, "block_id": "b", "type": "button",
                     "value": json.dumps({"kind": "account", "group_id": "", "name": "Account"}), "action_ts": "1.2"}],
    }
    return await stack.interact(payload)


# single-workspace mode: the token's team is the only one -------------------------------------------------


async def test_another_teams_requests_are_refused_before_any_lookup(stack):
    for user in (ADMIN, BOOTSTRAP):  # a Zoom admin's email, and a ZOOMCAL_ADMINS ID, both from another team
        status, body, _ = await stack.command("disable account", user, team=FOREIGN)
        assert status == 200 and json.loads(body) == {"response_type": "ephemeral", "text": REFUSAL}
    assert (await click_disable(stack, FOREIGN, ADMIN))[0] == 200
    assert await event(stack, FOREIGN, {"type": "app_home_opened", "user": ADMIN, "tab": "home"}) == 200
    await asyncio.sleep(0.5)  # time enough for any job
    assert lookups(stack) == [], "no users.info, Zoom or Microsoft call for another team"
    assert not stack.slack.responses and not stack.slack.published and not stack.slack.messages
    assert [m for m, _ in stack.slack.api_calls] == ["auth.test"], "only the token's team, asked once at start"

    answer = await command_answer(stack, "status account", ADMIN)  # the same user in the bot's own team is answered
    assert "not configured" in text_of(answer)
    assert "users.info" in [m for m, _ in stack.slack.api_calls]


async def test_bootstrap_ids_count_only_inside_the_allowed_teams(tmp_path):
    from tests.fakes import FakeSlack, FakeZoom

    async with FakeSlack(bot_token="xoxb-t") as slack, FakeZoom() as zoom, client_session(None) as http:
        client = SingleWorkspace(_slack_client(slack, http))
        policy = AccessPolicy(client, zoom_client(http, zoom), frozenset({BOOTSTRAP}), {TEAM})
        assert await policy.is_admin(Actor(TEAM, BOOTSTRAP))
        assert not await policy.is_admin(Actor(FOREIGN, BOOTSTRAP))
        assert not await policy.is_admin(Actor(FOREIGN, ADMIN))
        assert slack.requests == [] and zoom.requests == [], "decided without asking Slack or Zoom"


def _slack_client(slack, http, token: str | None = None):
    from slack_sdk.web.async_client import AsyncWebClient

    return AsyncWebClient(token=token or slack.bot_token, base_url=f"{slack.url}/api/", session=http)


async def test_the_token_team_must_be_in_zoomcal_slack_teams_when_it_is_set(tmp_path):
    from tests.fakes import FakeSlack

    async with FakeSlack(bot_token="xoxb-t", team_id="T0HOME01") as slack, client_session(None) as http:
        client = _slack_client(slack, http)
        env = MINIMAL | {"SLACK_API_URL": f"{slack.url}/api/"}
        teams = await slack_teams(load_settings(env | {"ZOOMCAL_SLACK_TEAMS": "T0HOME01,T0ELSE01"}), client)
        assert teams.allowed == {"T0HOME01"} and teams.home == "T0HOME01", "one token serves one team"
        with pytest.raises(SettingsError) as refused:
            await slack_teams(load_settings(env | {"ZOOMCAL_SLACK_TEAMS": "T0ELSE01"}), client)
        assert refused.value.problems == [
            "ZOOMCAL_SLACK_TEAMS: does not include T0HOME01, the team of SLACK_BOT_TOKEN (the only team it can serve)"
        ]
        with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN: Slack refused it"):
            await slack_teams(load_settings(env), _slack_client(slack, http, "xoxb-revoked"))


async def test_serve_names_the_variable_and_exits_2_when_the_token_team_is_not_listed(tmp_path, database_url):
    async with Stack(tmp_path, database_url) as stack:
        env = os.environ | stack.env | {
            "ZOOMCAL_SLACK_TEAMS": "T0ELSE01", "ZOOMCAL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        }
        result = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "bot.cli", "serve", "--port", "0"],
            env=env, capture_output=True, text=True, timeout=60,
        )
    assert result.returncode == 2, result.stderr
    assert "zoomcal: ZOOMCAL_SLACK_TEAMS: does not include T0001" in result.stderr
    assert "Traceback" not in result.stderr


def test_zoomcal_slack_teams_is_required_in_multi_workspace_mode_and_validated():
    env = {k: v for k, v in MINIMAL.items() if k != "SLACK_BOT_TOKEN"} | {
        "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "cs",
    }
    with pytest.raises(SettingsError) as missing:
        load_settings(env)
    assert [p for p in missing.value.problems if p.startswith("ZOOMCAL_SLACK_TEAMS:")] == [
        "ZOOMCAL_SLACK_TEAMS: required in multi-workspace mode: the Slack team IDs allowed to install and use "
        "zoomcal, comma-separated (like T012ABCDEF)"
    ]
    with pytest.raises(SettingsError, match="ZOOMCAL_SLACK_TEAMS: required"):
        load_settings(env | {"ZOOMCAL_SLACK_TEAMS": " , "})
    with pytest.raises(SettingsError) as bad:
        load_settings(env | {"ZOOMCAL_SLACK_TEAMS": "T0001, U0001,E123"})
    assert bad.value.problems == ["ZOOMCAL_SLACK_TEAMS: not Slack team IDs (like T012ABCDEF): U0001, E123"]
    settings = load_settings(env | {"ZOOMCAL_SLACK_TEAMS": " T0B, T0A ,T0B"})
    assert settings.slack_teams == ("T0B", "T0A"), "in order, each once: the first is the home team"
    assert load_settings(MINIMAL).slack_teams == (), "optional with a bot token"


# multi-workspace mode: ZOOMCAL_SLACK_TEAMS -------------------------------------------------------------------


@pytest.fixture
async def multi(tmp_path, database_url):
    env = MULTI | {"ZOOMCAL_SLACK_TEAMS": f"{TEAM},{OTHER_TEAM}", "ZOOMCAL_AUDIT_CHANNEL": "C0AUDIT01"}
    async with Stack(tmp_path, database_url, **env) as stack:
        stack.slack.team_tokens.clear()  # nothing is installed until someone installs it
        stack.slack.add_user(OTHER_ADMIN, "admin@other.example", "otto", team_id=OTHER_TEAM)
        stack.zoom.add_user("admin@other.example", role_name="Admin")
        yield stack


async def stored(stack: Stack) -> dict[str, int]:
    async with stack.runtime.db.engine.connect() as conn:
        return {
            table: (await conn.execute(text(f"SELECT COUNT(*) FROM {table}"))).scalar_one()
            for table in ("slack_installations", "slack_bots", "slack_workspaces")
        }


async def test_an_install_from_another_team_is_refused_and_stores_nothing(multi):
    status, page = await install(multi, FOREIGN, "UEVIL001")
    assert status == 403 and "not available for this Slack workspace" in page
    assert await stored(multi) == {"slack_installations": 0, "slack_bots": 0, "slack_workspaces": 0}
    status, body, _ = await multi.command("disable account", "UEVIL001", team=FOREIGN)
    assert json.loads(body)["text"] == REFUSAL

    assert (await install(multi, TEAM, ADMIN))[0] == 200  # an allowed team still installs
    assert await stored(multi) == {"slack_installations": 1, "slack_bots": 1, "slack_workspaces": 1}


async def test_a_refused_org_wide_install_leaves_no_token_rows(multi):
    multi.slack.install_org_wide = "E0GRID01"
    status, page = await install(multi, TEAM, ADMIN)
    assert status == 400 and "Org-wide installs are not supported" in page
    assert await stored(multi) == {"slack_installations": 0, "slack_bots": 0, "slack_workspaces": 0}


async def test_the_audit_channel_is_posted_with_the_home_teams_token(multi):
    await install(multi, TEAM, ADMIN)
    await install(multi, OTHER_TEAM, OTHER_ADMIN)
    [workspace] = [w for w in await rows(multi, SlackWorkspace) if w.workspace_id == OTHER_TEAM]
    assert workspace.zoom_account_id == multi.zoom.account_id
    await multi.command("enable account", "UNOBODY1", team=OTHER_TEAM)  # a refusal (an audit event) in the second team
    [post, *_] = await multi.slack.wait_for(
        lambda r: "chat.postMessage" in r.path and r.args().get("channel") == "C0AUDIT01"
    )
    token = post.header("Authorization").removeprefix("Bearer ")
    assert multi.slack.team_tokens[token] == TEAM, "posted as the home team (the first of ZOOMCAL_SLACK_TEAMS)"
    assert OTHER_TEAM in post.body.decode(), "the post names the team the change came from"
