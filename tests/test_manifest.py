"""manifest.yml agrees with the code: routes, the command, events and the scopes the code needs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.app import INSTALL_PATH, OAUTH_REDIRECT_PATH, create_web_app
from bot.workspaces import BOT_SCOPES
from handlers.blocks import ids
from tests.test_config import MINIMAL

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())

# Web API methods → the bot scopes they need (https://api.slack.com/methods).
METHOD_SCOPES = {
    "users_info": {"users:read"},
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "conversations_open": {"im:write"},
    "views_open": set(),
    "views_update": set(),
    "views_push": set(),
    "views_publish": set(),
}


def code_text() -> str:
    return "\n".join(p.read_text() for d in ("bot", "handlers") for p in (ROOT / d).rglob("*.py"))


def routes() -> set[tuple[str, str]]:
    from bot.config import load_settings

    app = create_web_app(load_settings(MINIMAL))
    return {(r.method, r.resource.canonical) for r in app.router.routes()}


def test_every_request_url_is_the_events_route():
    assert ("POST", "/slack/events") in routes()
    [command] = MANIFEST["features"]["slash_commands"]
    settings = MANIFEST["settings"]
    urls = [command["url"], settings["interactivity"]["request_url"],
            settings["interactivity"]["message_menu_options_url"], settings["event_subscriptions"]["request_url"]]
    assert all(url.endswith("/slack/events") for url in urls)
    assert command["command"] == ids.COMMAND


def test_contract_routes_exist():
    assert {("POST", "/slack/events"), ("GET", "/microsoft/callback"), ("GET", "/healthz"), ("GET", "/readyz"),
            ("GET", "/metrics")} <= routes()


def test_subscribed_events_are_handled_and_the_home_tab_is_on():
    code = code_text()
    handled = set(re.findall(r'app\.event\("([a-z_]+)"\)', code))
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == handled
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_scopes_are_what_the_code_uses():
    code = code_text()
    used = {m for m in METHOD_SCOPES if re.search(rf"\.{m}\(", code)}
    needed = {"commands"} | set().union(*(METHOD_SCOPES[m] for m in used))
    needed.add("users:read.email")  # the access policy reads the user's email from users.info
    needed.add("im:write")  # direct messages to admins (posted to their user ID)
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed == set(BOT_SCOPES)


def test_install_redirect_is_the_oauth_route():
    [redirect] = MANIFEST["oauth_config"]["redirect_urls"]
    assert redirect.endswith(OAUTH_REDIRECT_PATH)
    env = {k: v for k, v in MINIMAL.items() if k != "SLACK_BOT_TOKEN"} | {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "ZOOMCAL_SLACK_TEAMS": "T0001"}
    from bot.config import load_settings

    multi = {(r.method, r.resource.canonical) for r in create_web_app(load_settings(env)).router.routes()}
    assert {("GET", INSTALL_PATH), ("GET", OAUTH_REDIRECT_PATH)} <= multi
    assert ("GET", INSTALL_PATH) not in routes()  # single-workspace mode serves no install
