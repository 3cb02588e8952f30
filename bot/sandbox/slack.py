"""A fake Slack Web API (base URL ``{url}/api/``) plus response_url endpoints.

Response URLs have the shape of Slack's (https://hooks.slack.com/commands/T…/…/…, and /actions/…
for clicks) on the fake's origin, so what zoomcal does with real ones (checking, redacting) is what
the tests see.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any, Callable

from aiohttp import web

from bot.sandbox.base import FakeServer


def parse_json_args(args: dict[str, Any], *names: str) -> dict[str, Any]:
    """slack_sdk sends views and blocks as JSON strings in form bodies: parse them."""
    for name in names:
        if isinstance(args.get(name), str):
            try:
                args[name] = json.loads(args[name])
            except ValueError:
                pass
    return args


RESPONSE_PATHS = ("/commands/", "/actions/")


def is_response(request) -> bool:
    """A post to a response_url (a RecordedRequest)."""
    return request.path.startswith(RESPONSE_PATHS)


def _newest(items: list[dict], predicate: Callable[[dict], bool] | None) -> dict | None:
    return next((item for item in reversed(items) if predicate is None or predicate(item)), None)


class FakeSlack(FakeServer):
    def __init__(
        self, bot_token: str = "xoxb-test", team_id: str = "T0001", bot_user_id: str = "UBOT",
        trigger_ttl: float = 3.0, app_token: str = "xapp-1-test", client_id: str = "1111.2222",
        client_secret: str = "slack-client-secret", **kwargs,
    ):
        super().__init__(**kwargs)
        self.bot_token = bot_token
        # OAuth installs (multi-workspace mode): each installed team gets its own bot token.
        self.client_id = client_id
        self.client_secret = client_secret
        self.team_tokens: dict[str, str] = {bot_token: team_id}  # token → team
        self.codes: dict[str, dict] = {}  # OAuth code → the install it grants
        self.install_as: tuple[str, str] = (team_id, "UINSTALL")  # who approves the next install
        self.install_org_wide: str | None = None  # an enterprise ID: the next install is org-wide (Enterprise Grid)
        self.caller_team = team_id  # the team of the token of the API call being answered
        self.api_calls: list[tuple[str, str]] = []  # (method, team) of every authorized Web API call
        self.app_token = app_token  # Socket Mode: apps.connections.open and the WebSocket
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_acks: dict[str, dict] = {}
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.trigger_ttl = trigger_ttl
        self.users: dict[str, dict] = {}
        self.triggers: dict[str, float] = {}
        self.views: dict[str, dict] = {}
        self.opened_views: list[dict] = []
        self.opened_by: dict[str, str] = {}  # trigger_id → id of the view it opened
        self.messages: list[dict] = []
        self.ephemerals: list[dict] = []
        self.pushed_views: list[dict] = []
        self.view_updates: list[dict] = []
        self.view_history: list[dict] = []  # every opened, pushed or updated view, oldest first
        self.updates: list[dict] = []  # chat.update
        self.published: dict[str, dict] = {}
        self.responses: list[dict] = []

    def add_user(
        self, user_id: str, email: str | None, name: str | None = None, deleted: bool = False, team_id: str | None = None
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id or self.team_id,
            "name": name or user_id.lower(),
            "deleted": deleted,
            "is_bot": False,
            "profile": {"email": email, "real_name": name or user_id} if email else {"real_name": name or user_id},
        }

    def new_trigger_id(self) -> str:
        trigger = f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"
        self.triggers[trigger] = time.monotonic()
        return trigger

    def new_response_url(self, kind: str = "commands") -> str:
        """A response_url as Slack sends with a command ("commands") or a click ("actions")."""
        return f"{self.url}/{kind}/{self.team_id}/{uuid.uuid4().int % 10**13}/{uuid.uuid4().hex[:24]}"

    is_response = staticmethod(is_response)

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` get Slack's 429, naming the seconds to wait."""
        self.fail_next(
            f"/api/{method}", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}, times
        )

    def server_error(self, method: str, status: int = 500, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` fail as in a Slack incident (an HTML error page)."""
        self.fail_next(f"/api/{method}", status, "<html><body>Slack is having trouble</body></html>", {}, times)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/{kind:commands|actions}/{team}/{id}/{secret}", self._response_url)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/oauth/v2/authorize", self._authorize)

    async def _response_url(self, request: web.Request) -> web.Response:
        try:
            payload = self.recorded(request).json()
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(payload, dict):
            return web.Response(status=400, text="invalid_payload")
        self.responses.append(parse_json_args(payload, "blocks") | {"_response_url": f"{self.url}{request.path}"})
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        args = self.recorded(request).args()
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or args.get("token")
        method = request.match_info["method"]
        if method == "apps.connections.open":
            if token != self.app_token:
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response({"ok": True, "url": f"{self.url.replace('http', 'ws', 1)}/socket"})
        if method == "oauth.v2.access":
            return web.json_response(self._oauth_v2_access(request, args))
        if token not in self.team_tokens:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        self.caller_team = self.team_tokens[token]
        self.api_calls.append((method, self.caller_team))
        return web.json_response(handler(args))

    # OAuth install ----------------------------------------------------------------

    async def _authorize(self, request: web.Request) -> web.Response:
        """Slack's consent screen, approved at once by ``install_as``: back to the app with a code."""
        query = request.query
        if query.get("client_id") != self.client_id or not query.get("redirect_uri"):
            return web.Response(status=400, text="invalid client_id or redirect_uri")
        code = uuid.uuid4().hex
        team, user = self.install_as
        self.codes[code] = {"team": team, "user": user, "redirect_uri": query["redirect_uri"],
                            "scope": query.get("scope", "")}
        location = f"{query['redirect_uri']}?code={code}&state={query.get('state', '')}"
        raise web.HTTPFound(location)

    def _oauth_v2_access(self, request: web.Request, args: dict) -> dict:
        client_id, client_secret = args.get("client_id"), args.get("client_secret")
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return {"ok": False, "error": "invalid_client"}
        grant = self.codes.pop(args.get("code", ""), None)
        if grant is None or args.get("redirect_uri") not in (None, grant["redirect_uri"]):
            return {"ok": False, "error": "invalid_code"}
        enterprise = self.install_org_wide
        owner = enterprise or grant["team"]
        token = f"xoxb-{owner.lower()}-{uuid.uuid4().hex}"
        self.team_tokens[token] = owner
        return {
            "ok": True, "access_token": token, "token_type": "bot", "scope": grant["scope"],
            "bot_user_id": self.bot_user_id, "app_id": "A0ZOOMCAL",
            # An org-wide install names the enterprise and no team, as Slack's does.
            "team": None if enterprise else {"id": grant["team"], "name": grant["team"]},
            "enterprise": {"id": enterprise, "name": enterprise} if enterprise else None,
            "is_enterprise_install": bool(enterprise), "authed_user": {"id": grant["user"]},
        }

    def revoke_team(self, team_id: str) -> None:
        """Uninstall: every token of the team stops working."""
        self.team_tokens = {t: team for t, team in self.team_tokens.items() if team != team_id}

    # Socket Mode ------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": len(self.sockets), "debug_info": {}})
        async for message in socket:
            if message.type == web.WSMsgType.TEXT:
                data = json.loads(message.data)
                if "envelope_id" in data:
                    self.socket_acks[data["envelope_id"]] = data
        return socket

    async def send_envelope(self, kind: str, payload: dict) -> str:
        """Sends an event, command or interaction over the newest socket; returns its envelope id."""
        envelope_id = uuid.uuid4().hex
        await self.sockets[-1].send_json(
            {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": True,
             "retry_attempt": 0, "retry_reason": ""}
        )
        return envelope_id

    async def socket_ack(self, envelope_id: str, timeout: float = 5.0) -> dict:
        return await self.wait_until(lambda: self.socket_acks.get(envelope_id), timeout=timeout, what=f"ack of {envelope_id}")

    # Web API methods --------------------------------------------------------------

    def _auth_test(self, args: dict) -> dict:
        return {
            "ok": True, "url": "https://example.slack.com/", "team": "Example", "user": "zoomcal",
            "team_id": self.caller_team, "user_id": self.bot_user_id, "bot_id": "B0001",
        }

    def _users_info(self, args: dict) -> dict:
        user = self.users.get(args.get("user", ""))
        if user is None or user["team_id"] != self.caller_team:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    async def form_opened_by(self, trigger_id: str, timeout: float = 5.0) -> dict:
        """The dialog opened with ``trigger_id`` once it can be submitted (with its id).

        A dialog whose checks were slow opens as a placeholder without a submit button and is
        filled in by views.update; a user can only submit the filled-in form.
        """

        def form():
            view = self.views.get(self.opened_by.get(trigger_id, ""))
            return dict(view) if view and view.get("submit") else None

        return await self.wait_until(form, timeout, f"a dialog with a submit button opened with {trigger_id}")

    def _check_trigger(self, args: dict) -> str | None:
        issued = self.triggers.pop(args.get("trigger_id", ""), None)
        if issued is None:
            return "invalid_trigger_id"
        if time.monotonic() - issued > self.trigger_ttl:
            return "expired_trigger_id"
        return None

    def _store_view(self, view: dict, view_id: str | None = None) -> dict:
        stored = dict(view) | {"id": view_id or f"V{uuid.uuid4().hex[:10].upper()}", "team_id": self.team_id}
        self.views[stored["id"]] = stored
        self.view_history.append(stored)
        return stored

    def _views_open(self, args: dict) -> dict:
        args = parse_json_args(args, "view")
        if not isinstance(args.get("view"), dict):
            return {"ok": False, "error": "invalid_arguments"}
        error = self._check_trigger(args)
        if error:
            return {"ok": False, "error": error}
        view = self._store_view(args["view"])
        self.opened_views.append(view)
        self.opened_by[args["trigger_id"]] = view["id"]
        return {"ok": True, "view": view}

    def _views_push(self, args: dict) -> dict:
        answer = self._views_open(args)
        if answer["ok"]:
            self.opened_views.pop()
            self.pushed_views.append(answer["view"])
        return answer

    def _views_update(self, args: dict) -> dict:
        args = parse_json_args(args, "view")
        view_id = args.get("view_id")
        if not isinstance(args.get("view"), dict):
            return {"ok": False, "error": "invalid_arguments"}
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        view = self._store_view(args["view"], view_id)
        self.view_updates.append(view)
        return {"ok": True, "view": view}

    def _views_publish(self, args: dict) -> dict:
        args = parse_json_args(args, "view")
        if not isinstance(args.get("view"), dict) or not args.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        self.published[args["user_id"]] = args["view"]
        return {"ok": True, "view": args["view"]}

    def _chat_postMessage(self, args: dict) -> dict:
        args = parse_json_args(args, "blocks")
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        ts = f"{time.time():.6f}"
        self.messages.append(args | {"ts": ts})
        channel = args["channel"]
        return {"ok": True, "channel": "D" + channel[1:] if channel.startswith(("U", "W")) else channel, "ts": ts}

    def _chat_postEphemeral(self, args: dict) -> dict:
        self.ephemerals.append(parse_json_args(args, "blocks"))
        return {"ok": True, "message_ts": f"{time.time():.6f}"}

    def _chat_update(self, args: dict) -> dict:
        self.updates.append(parse_json_args(args, "blocks"))
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}

    def _conversations_open(self, args: dict) -> dict:
        users = str(args.get("users", ""))
        return {"ok": True, "channel": {"id": "D" + users.split(",")[0][1:]}}

    # helpers for tests --------------------------------------------------------------

    async def wait_message(self, predicate: Callable[[dict], bool] | None = None, timeout: float = 5.0) -> dict:
        """The newest chat.postMessage matching ``predicate`` (any, if None), waiting for it."""
        return await self.wait_until(lambda: _newest(self.messages, predicate), timeout, "a matching chat.postMessage")

    async def wait_response(self, predicate: Callable[[dict], bool] | None = None, timeout: float = 5.0) -> dict:
        """The newest POST to a response_url matching ``predicate``, waiting for it."""
        return await self.wait_until(lambda: _newest(self.responses, predicate), timeout, "a matching response_url post")

    async def wait_view(self, predicate: Callable[[dict], bool] | None = None, timeout: float = 5.0) -> dict:
        """The newest opened, pushed or updated view matching ``predicate``, waiting for it."""
        return await self.wait_until(
            lambda: _newest(self.view_history, predicate), timeout, "a matching view (views.open/push/update)"
        )

    def dms(self, user_id: str) -> list[dict]:
        """Messages posted to a user (by user ID or their DM channel)."""
        return [m for m in self.messages if m.get("channel") in (user_id, "D" + user_id[1:])]
