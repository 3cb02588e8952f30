import os
import subprocess
import sys

import pytest

from bot.config import Purpose, SettingsError, load_settings
from bot.crypto import generate_key

KEY = generate_key()
MINIMAL = {
    "SLACK_SIGNING_SECRET": "s3cret-signing",
    "SLACK_BOT_TOKEN": "xoxb-1",
    "ZOOMCAL_ENCRYPTION_KEY": KEY,
    "ZOOM_ACCOUNT_ID": "acc",
    "ZOOM_CLIENT_ID": "zc",
    "ZOOM_CLIENT_SECRET": "zs-secret",
    "MS_CLIENT_ID": "mc",
    "MS_CLIENT_SECRET": "ms-secret",
}


def test_defaults_follow_the_contract():
    s = load_settings(MINIMAL)
    assert s.slack_api_url == "https://slack.com/api"
    assert s.public_url == "http://localhost:3000"
    assert s.redirect_uri == "http://localhost:3000/microsoft/callback"
    assert s.database_url == "sqlite+aiosqlite:///zoomcal.db"
    assert s.consent_ttl == 3600
    assert s.ms_tenant == "organizations"
    assert s.ms_authority_host == "https://login.microsoftonline.com"
    assert s.authority_is_microsoft
    assert s.ms_graph_url == "https://graph.microsoft.com/v1.0"
    assert s.zoom_api_url == "https://api.zoom.us/v2"
    assert s.zoom_oauth_url == "https://zoom.us/oauth/token"
    assert (s.host, s.port) == ("127.0.0.1", 3000)
    assert s.admins == frozenset() and s.audit_channel is None


def test_trailing_slashes_are_ignored_and_lists_parsed():
    s = load_settings(
        MINIMAL
        | {
            "ZOOMCAL_PUBLIC_URL": "https://bot.example.com/",
            "MS_AUTHORITY_HOST": "https://127.0.0.1:8443/",
            "ZOOMCAL_ADMINS": "U111, W222 ,",
            "ZOOMCAL_ENCRYPTION_KEY": f"{KEY},{generate_key()}",
        }
    )
    assert s.redirect_uri == "https://bot.example.com/microsoft/callback"
    assert s.ms_authority_host == "https://127.0.0.1:8443"
    assert not s.authority_is_microsoft
    assert s.admins == {"U111", "W222"}
    assert len(s.encryption_keys) == 2


def test_every_problem_is_named_once():
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {
                "ZOOMCAL_ENCRYPTION_KEY": "not-a-key",
                "MS_AUTHORITY_HOST": "http://login.example.com",
                "ZOOM_API_URL": "ftp://x",
                "ZOOMCAL_CONSENT_TTL": "soon",
                "ZOOMCAL_ADMINS": "alice",
                "ZOOMCAL_CA_BUNDLE": "/nonexistent/ca.pem",
            }
        )
    problems = caught.value.problems
    for name in (
        "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "ZOOMCAL_ENCRYPTION_KEY", "MS_AUTHORITY_HOST", "ZOOM_API_URL",
        "ZOOMCAL_CONSENT_TTL", "ZOOMCAL_ADMINS", "ZOOMCAL_CA_BUNDLE", "ZOOM_ACCOUNT_ID", "MS_CLIENT_SECRET",
    ):
        assert sum(p.startswith(name + ":") for p in problems) == 1, (name, problems)
    assert not any("not-a-key" in p for p in problems), "a key must never be echoed"


def test_multi_workspace_mode_takes_client_id_and_secret_instead_of_a_token():
    env = {k: v for k, v in MINIMAL.items() if k != "SLACK_BOT_TOKEN"}
    settings = load_settings(env | {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "cs", "ZOOMCAL_SLACK_TEAMS": "T0001"})
    assert settings.multi_workspace
    assert "cs" in settings.secrets
    assert not load_settings(MINIMAL).multi_workspace


@pytest.mark.parametrize(
    "changes, variable",
    [
        ({"SLACK_CLIENT_ID": "1.2"}, "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET"),  # the secret is missing
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "cs"}, "SLACK_BOT_TOKEN"),
        ({}, "SLACK_BOT_TOKEN"),  # neither mode
    ],
)
def test_exactly_one_slack_mode(changes, variable):
    env = {k: v for k, v in MINIMAL.items() if k != "SLACK_BOT_TOKEN"} | changes
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert [p.split(": ")[0] for p in caught.value.problems] == [variable]


def test_socket_mode_needs_the_bot_token():
    env = {k: v for k, v in MINIMAL.items() if k != "SLACK_BOT_TOKEN"}
    env |= {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "cs", "SLACK_APP_TOKEN": "xapp-1"}
    with pytest.raises(SettingsError) as caught:
        load_settings(env, Purpose.SOCKET_MODE)
    assert caught.value.problems == ["SLACK_BOT_TOKEN: required in Socket Mode"]


def test_log_format_is_json_lines_unless_text_is_asked_for():
    assert load_settings(MINIMAL).log_format == "json"
    assert load_settings(MINIMAL | {"ZOOMCAL_LOG_FORMAT": "TEXT"}).log_format == "text"
    with pytest.raises(SettingsError) as caught:
        load_settings(MINIMAL | {"ZOOMCAL_LOG_FORMAT": "xml"})
    assert caught.value.problems == ["ZOOMCAL_LOG_FORMAT: must be json or text, got 'xml'"]


def test_database_purpose_needs_only_a_url():
    s = load_settings({"ZOOMCAL_DATABASE_URL": "postgresql+asyncpg://u@h/db"}, Purpose.DATABASE)
    assert s.database_url.startswith("postgresql+asyncpg")
    with pytest.raises(SettingsError):
        load_settings({"ZOOMCAL_DATABASE_URL": "mysql://x"}, Purpose.DATABASE)


def test_secrets_stay_out_of_repr():
    s = load_settings(MINIMAL)
    text = repr(s)
    for secret in ("s3cret-signing", "xoxb-1", "zs-secret", "ms-secret", KEY):
        assert secret not in text
    assert set(s.secrets) >= {"s3cret-signing", "zs-secret", "ms-secret", KEY}


def test_serve_with_bad_settings_exits_2_without_traceback():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ZOOM", "MS_"))}
    env["MS_AUTHORITY_HOST"] = "http://insecure.example.com"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert any("SLACK_SIGNING_SECRET" in line for line in lines)
    assert any("MS_AUTHORITY_HOST" in line for line in lines)
    assert len(lines) == len(set(lines))


def test_health_interval_defaults_to_six_hours_and_zero_turns_checks_off():
    assert load_settings(MINIMAL).health_interval == 21600
    assert load_settings(MINIMAL | {"ZOOMCAL_HEALTH_INTERVAL": "0"}).health_interval == 0
    assert load_settings(MINIMAL | {"ZOOMCAL_HEALTH_INTERVAL": "10"}).health_interval == 10
    assert load_settings(MINIMAL | {"ZOOMCAL_HEALTH_INTERVAL": "604800"}).health_interval == 604800


@pytest.mark.parametrize("value", ["9", "1", "604801", "-5", "6h", "1e3"])
def test_a_health_interval_out_of_range_is_one_problem(value):
    with pytest.raises(SettingsError) as caught:
        load_settings(MINIMAL | {"ZOOMCAL_HEALTH_INTERVAL": value})
    assert caught.value.problems == [
        f"ZOOMCAL_HEALTH_INTERVAL: must be 0 (off) or seconds from 10 to 604800, got {value!r}"
    ]


def test_group_admins_are_off_unless_turned_on():
    assert load_settings(MINIMAL).group_admins is False
    assert load_settings(MINIMAL | {"ZOOMCAL_GROUP_ADMINS": "true"}).group_admins is True
    assert load_settings(MINIMAL | {"ZOOMCAL_GROUP_ADMINS": "FALSE"}).group_admins is False
    with pytest.raises(SettingsError) as raised:
        load_settings(MINIMAL | {"ZOOMCAL_GROUP_ADMINS": "sometimes"})
    assert raised.value.problems == ["ZOOMCAL_GROUP_ADMINS: must be true or false, got 'sometimes'"]
