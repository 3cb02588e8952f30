"""The console user as Slack presents them to the bot: signed requests to /slack/events."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp

from bot.sandbox import FakeSlack

APP_ID = "A0ZOOMCAL"
CHANNEL = "C0GENERAL"  # where the console user types slash commands


@dataclass(frozen=True)
class Answer:
    """The bot's HTTP answer to one request (its ack)."""

    status: int
    body: str

    def json(self) -> dict:
        try:
            data = json.loads(self.body) if self.body else {}
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


def sign(secret: str, body: bytes) -> dict[str, str]:
    """Slack's v0 request signature."""
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class SlackUser:
    """Sends what Slack would send when this user types, clicks or submits."""

    def __init__(self, http: aiohttp.ClientSession, bot_url: str, secret: str, slack: FakeSlack, user_id: str):
        self._http = http
        self._url = f"{bot_url}/slack/events"
        self._secret = secret
        self.slack = slack
        self.user_id = user_id
        self.team_id = slack.team_id

    async def _post(self, body: bytes, content_type: str) -> Answer:
        headers = {"Content-Type": content_type, **sign(self._secret, body)}
        async with self._http.post(self._url, data=body, headers=headers) as response:
            return Answer(response.status, await response.text())

    async def _interact(self, payload: dict) -> Answer:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._post(body, "application/x-www-form-urlencoded")

    def _user(self) -> dict:
        name = self.slack.users.get(self.user_id, {}).get("name", self.user_id.lower())
        return {"id": self.user_id, "team_id": self.team_id, "name": name, "username": name}

    def _team(self) -> dict:
        return {"id": self.team_id, "domain": "sandbox"}

    async def command(self, command: str, text: str) -> Answer:
        form = {
            "token": "unused", "team_id": self.team_id, "team_domain": "sandbox",
            "channel_id": CHANNEL, "channel_name": "general",
            "user_id": self.user_id, "user_name": self._user()["name"],
            "command": command, "text": text, "api_app_id": APP_ID,
            "response_url": self.slack.new_response_url(), "trigger_id": self.slack.new_trigger_id(),
        }
        return await self._post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    async def click(self, button: dict, *, view: dict | None = None, message: dict | None = None) -> Answer:
        """Presses a button in a view (modal or Home tab) or in a message (which gets a fresh response_url)."""
        payload: dict = {
            "type": "block_actions", "team": self._team(), "user": self._user(), "api_app_id": APP_ID,
            "trigger_id": self.slack.new_trigger_id(),
            "actions": [{
                "action_id": button.get("action_id", ""), "block_id": button.get("_block_id", "b"),
                "type": "button", "value": button.get("value", ""), "text": button.get("text"),
                "action_ts": f"{time.time():.6f}",
            }],
        }
        if view is not None:
            payload |= {"container": {"type": "view", "view_id": view.get("id", "")}, "view": view}
        else:
            message = message or {}
            channel = message.get("channel") or CHANNEL
            ts = message.get("ts") or f"{time.time():.6f}"
            payload |= {
                "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": True},
                "channel": {"id": channel}, "message": {"ts": ts, "text": message.get("text", "")},
                "response_url": self.slack.new_response_url(),
            }
        return await self._interact(payload)

    async def submit(self, view: dict, values: dict) -> Answer:
        payload = {
            "type": "view_submission", "team": self._team(), "user": self._user(), "api_app_id": APP_ID,
            "trigger_id": self.slack.new_trigger_id(),
            "view": {
                "id": view.get("id") or f"V{uuid.uuid4().hex[:10].upper()}", "team_id": self.team_id,
                "type": "modal", "callback_id": view.get("callback_id", ""),
                "private_metadata": view.get("private_metadata", ""), "hash": uuid.uuid4().hex,
                "state": {"values": values},
            },
        }
        return await self._interact(payload)

    async def suggest(self, view: dict, block_id: str, action_id: str, typed: str) -> list[dict]:
        """The options an external select offers for what the user typed."""
        payload = {
            "type": "block_suggestion", "team": self._team(), "user": self._user(), "api_app_id": APP_ID,
            "action_id": action_id, "block_id": block_id, "value": typed,
            "view": {"id": view.get("id", ""), "type": "modal", "callback_id": view.get("callback_id", "")},
        }
        answer = await self._interact(payload)
        options = answer.json().get("options") if answer.status == 200 else None
        return options if isinstance(options, list) else []

    async def open_home(self) -> Answer:
        body = {
            "type": "event_callback", "team_id": self.team_id, "api_app_id": APP_ID,
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}", "event_time": int(time.time()),
            "event": {"type": "app_home_opened", "user": self.user_id, "channel": "D" + self.user_id[1:], "tab": "home"},
        }
        return await self._post(json.dumps(body).encode(), "application/json")
