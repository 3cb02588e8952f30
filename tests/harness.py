"""The bot under test: the fakes, settings pointing at them, and signed Slack requests.

Kept free of pytest so a local sandbox can reuse it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bot.app import RUNTIME, Runtime, create_web_app
from bot.clients.http import RetryPolicy
from bot.clients.microsoft import MicrosoftClient
from bot.clients.zoom import ZoomClient
from bot.config import Settings, load_settings
from bot.crypto import generate_key
from bot.logs import AccessLogger
from bot.sandbox.settings import sandbox_environment
from tests.fakes import FakeMicrosoft, FakeSlack, FakeZoom, make_tls

SIGNING_SECRET = "test-signing-secret-0123456789"
TEAM = "T0001"
ADMIN = "UADMIN01"  # a Zoom admin, found through their email
OWNER = "UOWNER01"
MEMBER = "UMEMBER1"  # a Zoom member: must be refused
BOOTSTRAP = "UBOOT001"  # in ZOOMCAL_ADMINS, unknown to Zoom
# Multi-workspace mode (Slack's OAuth install instead of a bot token), serving TEAM.
MULTI_WORKSPACE = {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "slack-client-secret",
                   "ZOOMCAL_SLACK_TEAMS": TEAM}


def sign(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class Stack:
    """Fakes + a running bot on 127.0.0.1. Use as ``async with Stack(tmp, db_url) as stack``."""

    def __init__(self, workdir: Path, database_url: str, **env_overrides: str):
        self.workdir = workdir
        self.database_url = database_url
        self.env_overrides = env_overrides
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Stack:
        tls = make_tls(self.workdir)
        self.slack = await self._stack.enter_async_context(FakeSlack(bot_token="xoxb-test-token"))
        self.zoom = await self._stack.enter_async_context(FakeZoom())
        self.microsoft = await self._stack.enter_async_context(FakeMicrosoft(ssl_context=tls.server_context))
        self.slack.add_user(ADMIN, "admin@example.com", "alice")
        self.slack.add_user(OWNER, "owner@example.com", "olga")
        self.slack.add_user(MEMBER, "member@example.com", "mallory")
        self.zoom.add_user("admin@example.com", role_name="Admin")
        self.zoom.add_user("owner@example.com", role_name="Owner")
        self.zoom.add_user("member@example.com", role_name="Member")
        self.zoom.add_groups(["Sales", "Sales EMEA", "Engineering", "Support"])
        self.tenant_id = self.microsoft.add_tenant(display_name="Contoso Ltd", domains=("contoso.onmicrosoft.com",))
        self.zoom.add_managed_domain("contoso.onmicrosoft.com")  # Zoom's associated domain, verified by the tenant
        self.env = sandbox_environment(
            self.slack, self.zoom, self.microsoft, signing_secret=SIGNING_SECRET,
            public_url="http://127.0.0.1:3000/", database_url=self.database_url, encryption_key=generate_key(),
            ca_path=tls.ca_path,
        ) | {"ZOOMCAL_ADMINS": BOOTSTRAP} | self.env_overrides
        self.settings: Settings = load_settings(self.env)
        self.app = create_web_app(self.settings)
        runner = web.AppRunner(self.app, access_log_class=AccessLogger)
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self.http = await self._stack.enter_async_context(aiohttp.ClientSession())
        self.acked: list[tuple[float, dict]] = []  # (when, body) of every ack that carried an answer
        return self

    @property
    def runtime(self) -> Runtime:
        return self.app[RUNTIME]

    async def __aexit__(self, *exc) -> None:
        await self._stack.aclose()

    # Slack → bot -------------------------------------------------------------

    async def post_slack(
        self, body: bytes, headers: dict[str, str] | None = None, *, content_type: str, base: str | None = None
    ):
        headers = {"Content-Type": content_type, **sign(body), **(headers or {})}
        async with self.http.post(f"{base or self.url}/slack/events", data=body, headers=headers) as response:
            return response.status, await response.text()

    async def command(
        self, text: str, user: str = ADMIN, *, team: str = TEAM, base: str | None = None
    ) -> tuple[int, str, str]:
        """Sends `/zoomcal text`; returns (status, body, trigger_id)."""
        trigger_id = self.slack.new_trigger_id()
        self.last_response_url = self.slack.new_response_url()
        form = {
            "token": "legacy",
            "team_id": team,
            "team_domain": "example",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/zoomcal",
            "text": text,
            "api_app_id": "A0ZOOMCAL",
            "response_url": self.last_response_url,
            "trigger_id": trigger_id,
        }
        status, body = await self.post_slack(
            urlencode(form).encode(), content_type="application/x-www-form-urlencoded", base=base
        )
        self._note_ack(body)
        return status, body, trigger_id

    def _note_ack(self, body: str) -> None:
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            return
        if isinstance(payload, dict) and payload.get("text"):
            self.acked.append((time.monotonic(), payload))

    async def interact(self, payload: dict, *, base: str | None = None) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post_slack(body, content_type="application/x-www-form-urlencoded", base=base)

    async def submit_view(
        self, view: dict, user: str = ADMIN, *, values: dict | None = None, base: str | None = None
    ) -> tuple[int, str]:
        """Submits a modal the bot opened, with its initial values unless ``values`` are given."""
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "example"},
            "user": {"id": user, "team_id": TEAM, "name": user.lower()},
            "api_app_id": "A0ZOOMCAL",
            "trigger_id": self.slack.new_trigger_id(),
            "view": {
                "id": view.get("id") or f"V{uuid.uuid4().hex[:10].upper()}",
                "team_id": TEAM,
                "type": "modal",
                "callback_id": view["callback_id"],
                "private_metadata": view.get("private_metadata", ""),
                "hash": "h",
                "state": {"values": values if values is not None else initial_values(view)},
            },
        }
        return await self.interact(payload, base=base)

    # Microsoft → bot -----------------------------------------------------------

    async def callback(self, params: dict[str, str], *, base: str | None = None):
        async with self.http.get(f"{base or self.url}/microsoft/callback", params=params) as response:
            return response.status, await response.text(), response.headers

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(f"{self.url}{path}") as response:
            return response.status, await response.text()


def initial_values(view: dict) -> dict:
    """The state Slack would send for a modal submitted untouched."""
    values: dict = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        state: dict = {"type": element["type"]}
        if element["type"] == "checkboxes":
            state["selected_options"] = element.get("initial_options") or []
        elif element["type"] == "radio_buttons":
            state["selected_option"] = element.get("initial_option")
        values[block["block_id"]] = {element["action_id"]: state}
    return values


# Retries that give up in milliseconds, for tests of what happens after they do.
FAST_RETRIES = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, deadline=5)


def zoom_client(session: aiohttp.ClientSession, zoom: FakeZoom, **overrides) -> ZoomClient:
    """A Zoom client for the fake Zoom (its account and credentials unless overridden)."""
    settings = dict(
        account_id=zoom.account_id, client_id=zoom.client_id, client_secret=zoom.client_secret,
        api_url=f"{zoom.url}/v2", oauth_url=f"{zoom.url}/oauth/token",
    )
    return ZoomClient(session, **(settings | overrides))


def microsoft_client(session: aiohttp.ClientSession, microsoft: FakeMicrosoft, **overrides) -> MicrosoftClient:
    """A Microsoft client for the fake Microsoft (its app, identity host and Graph unless overridden)."""
    settings = dict(
        client_id=microsoft.client_id, client_secret=microsoft.client_secret, consent_tenant="organizations",
        authority_host=microsoft.url, graph_url=f"{microsoft.url}/v1.0",
        redirect_uri="https://bot.example.com/microsoft/callback", discover_instances=False, policy=FAST_RETRIES,
    )
    return MicrosoftClient(session, **(settings | overrides))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replica:
    """`zoomcal serve` as its own process, as an operator runs it."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.port = self._picked = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.stderr = ""
        self._log = None

    async def start(self, *extra: str) -> Replica:
        import asyncio
        import os
        import sys
        import tempfile

        for attempt in range(3):  # another process may take the free port before the server binds it
            # Logs go to a file: a pipe nobody reads fills up and blocks the server under load.
            self._log = tempfile.TemporaryFile()
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "serve", "--port", str(self.port), *extra,
                env=os.environ | self.env, stdout=asyncio.subprocess.DEVNULL, stderr=self._log,
            )
            async with aiohttp.ClientSession() as http:
                for _ in range(600):  # 30 s
                    if self.process.returncode is not None:
                        break
                    try:
                        async with http.get(f"{self.url}/readyz") as response:
                            if response.status == 200:
                                return self
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.05)
            await self.stop()
            if attempt == 2 or "in use" not in self.stderr or self.port != self._picked:
                break  # not a lost race for a port of our choosing
            self.port = self._picked = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
        raise AssertionError(f"zoomcal serve did not become ready:\n{self.stderr}")

    async def stop(self, sig: int | None = None) -> int:
        import asyncio
        import signal

        if self.process.returncode is None:
            self.process.send_signal(sig or signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), 60)
        if self._log is not None:  # stopping twice is harmless
            self._log.seek(0)
            self.stderr = self._log.read().decode(errors="replace")
            self._log.close()
            self._log = None
        return self.process.returncode
