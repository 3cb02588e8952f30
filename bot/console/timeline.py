"""What the bot did in the fake Slack since the last look, in order, and waiting for it to finish."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bot.console.sandbox import Sandbox
from bot.sandbox import RecordedRequest
from bot.sandbox.slack import is_response, parse_json_args

# The bot is done when no job or task runs and no fake has heard from it for this long. The jobs and
# tasks are the bot's work after an answer; the quiet only covers hand-offs between them (loopback
# calls of a millisecond or two), so a tenth of a second is ample, and each command waits it once.
QUIET = 0.1
TIMEOUT = 8.0
_VIEW_CALLS = {"views.open": "opened", "views.push": "pushed", "views.update": "updated"}


@dataclass(frozen=True)
class Post:
    """One thing the bot showed: a message (``kind`` answer, dm, channel, ephemeral, edit) or a view."""

    kind: str  # answer | dm | channel | ephemeral | edit | opened | pushed | updated | refused | home
    body: dict  # the message payload, or the view (with its id)
    where: str = ""  # the channel, or the view id


class Timeline:
    def __init__(self, sandbox: Sandbox):
        self._sandbox = sandbox
        self._seen = len(sandbox.slack.requests)
        self._views_seen = len(sandbox.slack.view_history)

    async def settle(self, timeout: float = TIMEOUT) -> bool:
        """Wait until the bot has been quiet for QUIET seconds; False if it still worked at ``timeout``."""
        deadline = time.monotonic() + timeout
        count, changed = self._sandbox.requests_seen(), time.monotonic()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            now = time.monotonic()
            if (latest := self._sandbox.requests_seen()) != count:
                count, changed = latest, now
            elif now - changed >= QUIET and await self._idle():
                return True
        return False

    async def _idle(self) -> bool:
        runtime = self._sandbox.runtime
        # Jobs first: a job may start a task (a post beside its answer) as it ends, never the reverse.
        return await runtime.jobs.drain(0) and await runtime.tasks.drain(0)

    def skip(self) -> None:
        """Forget what happened so far (the bot's start-up calls)."""
        self.new_posts()

    def new_posts(self) -> list[Post]:
        slack = self._sandbox.slack
        fresh, self._seen = slack.requests[self._seen :], len(slack.requests)
        posts = []
        for request in fresh:
            post = self._post(request)
            if post is not None:
                posts.append(post)
        return posts

    def _post(self, request: RecordedRequest) -> Post | None:
        if is_response(request):
            try:
                body = request.json()
            except ValueError:
                return None
            return Post("answer", body) if isinstance(body, dict) else None
        method = request.path.removeprefix("/api/")
        args = _args(request)
        channel = str(args.get("channel") or "")
        if method == "chat.postMessage":
            direct = channel.startswith(("U", "W", "D"))
            return Post("dm" if direct else "channel", args, channel)
        if method == "chat.postEphemeral":
            return Post("ephemeral", args, channel)
        if method == "chat.update":
            return Post("edit", args, channel)
        if method == "views.publish":
            return Post("home", args.get("view") or {}) if args.get("user_id") else None
        if method in _VIEW_CALLS:
            return self._view(method, args)
        return None  # lookups (users.info, auth.test, …) show nothing

    def _view(self, method: str, args: dict) -> Post:
        """Pairs the call with the view the fake stored (which carries the id), or says Slack refused it."""
        wanted = args.get("view")
        history = self._sandbox.slack.view_history
        for index in range(self._views_seen, len(history)):
            stored = history[index]
            if {k: v for k, v in stored.items() if k not in ("id", "team_id")} == wanted:
                self._views_seen = index + 1
                return Post(_VIEW_CALLS[method], stored, stored["id"])
        return Post("refused", wanted if isinstance(wanted, dict) else {}, str(args.get("view_id") or ""))


def _args(request: RecordedRequest) -> dict:
    """A Web API call's arguments, with views and blocks sent as JSON strings parsed."""
    return parse_json_args(request.args(), "view", "blocks")
