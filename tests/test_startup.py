"""`zoomcal serve` when what it needs at start is not there: one line naming the setting, exit 2,
no traceback, nothing on disk; and a good start that logs no warnings and says "listening" once bound."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys

import pytest

from bot.crypto import generate_key
from bot.sandbox.settings import sandbox_environment
from tests.fakes import FakeMicrosoft, FakeSlack, FakeZoom, make_tls
from tests.harness import SIGNING_SECRET, Replica, free_port

NOISE = ("Traceback", "Unclosed client session", "listening", "ERROR", "token will be unused", "setup plugin")


@pytest.fixture
async def fakes(tmp_path):
    """The fake Slack, Zoom and Microsoft, and settings for them (the database: the default, in the
    folder the process runs in)."""
    tls = make_tls(tmp_path)
    async with FakeSlack(bot_token="xoxb-test-token") as slack, FakeZoom() as zoom, FakeMicrosoft(
        ssl_context=tls.server_context
    ) as microsoft:
        env = sandbox_environment(
            slack, zoom, microsoft, signing_secret=SIGNING_SECRET, public_url="http://127.0.0.1:3000",
            database_url="", encryption_key=generate_key(), ca_path=tls.ca_path,
        )
        del env["ZOOMCAL_DATABASE_URL"]  # the default: zoomcal.db in the working folder
        yield env


@pytest.fixture
def workdir(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    return folder


async def serve_fails(env: dict[str, str], cwd, *args: str) -> list[str]:
    """Runs `zoomcal serve`, which must stop with exit 2; returns the lines it wrote."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", *args, cwd=cwd,
        env={k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ZOOM", "MS_"))} | env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    text = (out + err).decode()
    assert process.returncode == 2, text
    lines = text.splitlines()
    assert len(lines) == 1, text
    for noise in NOISE:
        assert noise not in text
    return lines


async def test_unreachable_postgresql_is_one_line_naming_the_variable(fakes, workdir):
    port = free_port()  # nothing listens there
    env = fakes | {"ZOOMCAL_DATABASE_URL": f"postgresql+asyncpg://zoomcal:pw-secret@127.0.0.1:{port}/zoomcal"}
    for args in ((), ("--no-migrate",)):  # without migrations the database is still asked once at start
        [line] = await serve_fails(env, workdir, "--port", str(free_port()), *args)
        assert line.startswith("zoomcal: ZOOMCAL_DATABASE_URL: could not connect to the database zoomcal at ")
        assert f"127.0.0.1:{port}" in line and "ConnectionRefusedError" in line
        assert "pw-secret" not in line
    assert list(workdir.iterdir()) == []


async def test_sqlite_in_a_missing_folder_is_one_line_and_creates_nothing(fakes, workdir):
    missing = workdir / "no" / "such"
    env = fakes | {"ZOOMCAL_DATABASE_URL": f"sqlite+aiosqlite:///{missing / 'zoomcal.db'}"}
    [line] = await serve_fails(env, workdir, "--port", str(free_port()))
    assert line.startswith("zoomcal: ZOOMCAL_DATABASE_URL: ")
    assert str(missing) in line
    assert list(workdir.iterdir()) == []


async def test_a_port_in_use_is_one_line_naming_the_port_and_creates_no_database(fakes, workdir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        [line] = await serve_fails(fakes, workdir, "--port", str(port))
        assert str(port) in line and "--port" in line and "ZOOMCAL_PORT" in line
        [line] = await serve_fails(fakes | {"ZOOMCAL_PORT": str(port)}, workdir)
        assert str(port) in line and "ZOOMCAL_PORT" in line
    assert list(workdir.iterdir()) == []


async def test_slack_refusing_the_token_names_the_token_not_the_url(fakes, workdir):
    env = fakes | {"SLACK_BOT_TOKEN": "xoxb-revoked"}
    [line] = await serve_fails(env, workdir, "--port", str(free_port()))
    assert line.startswith("zoomcal: SLACK_BOT_TOKEN: ")
    assert "invalid_auth" in line
    assert "SLACK_API_URL" not in line
    assert "xoxb-revoked" not in line
    assert list(workdir.iterdir()) == [], "no database before the settings are known good"


async def test_socket_mode_with_a_refused_app_token_is_one_line_and_creates_nothing(fakes, workdir):
    env = fakes | {"SLACK_APP_TOKEN": "xapp-1-revoked"}
    [line] = await serve_fails(env, workdir, "--socket-mode", "--port", str(free_port()))
    assert line.startswith("zoomcal: SLACK_APP_TOKEN: ") and "invalid_auth" in line, line
    assert "xapp-1-revoked" not in line
    assert list(workdir.iterdir()) == [], "no database before the settings are known good"


async def test_slack_unreachable_at_a_configured_url_names_that_url(fakes, workdir):
    url = f"http://127.0.0.1:{free_port()}/api/"
    [line] = await serve_fails(fakes | {"SLACK_API_URL": url}, workdir, "--port", str(free_port()))
    assert line.startswith("zoomcal: SLACK_API_URL: ")
    assert url in line
    assert list(workdir.iterdir()) == []


async def test_a_good_start_logs_no_warnings_and_listening_once_bound(fakes, workdir, tmp_path):
    env = fakes | {"ZOOMCAL_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'zoomcal.db'}"}
    replica = await Replica(env).start()
    assert await replica.stop() == 0, replica.stderr
    log = replica.stderr
    assert "token will be unused" not in log
    assert "setup plugin" not in log
    assert "WARNING" not in log and "ERROR" not in log, log
    levels = {json.loads(line)["level"] for line in log.splitlines()}  # JSON lines: levels are lowercase
    assert levels == {"info"}, log
    listening = [line for line in log.splitlines() if "zoomcal listening on" in line]
    assert len(listening) == 1 and f"http://127.0.0.1:{replica.port}" in listening[0], log
    # Said once the port is bound, so after everything start-up logs (the migrations among them).
    assert log.index("zoomcal listening on") > log.index("alembic"), log


async def test_slack_unreachable_at_the_default_url_does_not_name_a_variable_never_set(fakes):
    """SLACK_API_URL left at its default: the line names where Slack was asked, not the variable.
    (The default host is not asked here: the client the check is given goes to a closed port.)"""
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.clients.http import client_session
    from bot.config import SettingsError, load_settings
    from bot.workspaces import slack_teams

    settings = load_settings({k: v for k, v in fakes.items() if k != "SLACK_API_URL"})
    async with client_session(None) as http:
        closed = AsyncWebClient(
            token=settings.slack_bot_token, base_url=f"http://127.0.0.1:{free_port()}/api/", session=http,
            retry_handlers=[],
        )
        with pytest.raises(SettingsError) as failed:
            await slack_teams(settings, closed)
    [line] = failed.value.problems
    assert "SLACK_API_URL" not in line
    assert line.startswith("Slack could not be reached at https://slack.com/api/ to check SLACK_BOT_TOKEN")


async def test_db_upgrade_names_the_database_it_cannot_open(workdir):
    missing = workdir / "no" / "such"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "db", "upgrade", cwd=workdir,
        env=os.environ | {"ZOOMCAL_DATABASE_URL": f"sqlite+aiosqlite:///{missing / 'zoomcal.db'}"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 2
    assert (out + err).decode().splitlines() == [
        f"zoomcal: ZOOMCAL_DATABASE_URL: the folder {missing} does not exist (create it first)"
    ]
    assert list(workdir.iterdir()) == []
