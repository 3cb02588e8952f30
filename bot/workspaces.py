"""Slack Web API clients per workspace: the one bot token, or each installation's token.

Jobs answer Slack after the request is gone, so they ask here for the workspace's client
instead of using Bolt's per-request one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store.async_installation_store import (
    AsyncInstallationStore,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings, SettingsError
from storage.db import Database, DatabaseUnavailable, unreachable

# What the bot asks for at install; manifest.yml lists the same (tests/test_manifest.py checks).
SLACK_API_DEFAULT = "https://slack.com/api"  # SLACK_API_URL's default (bot/config.py), without its slash
BOT_SCOPES = ("commands", "chat:write", "im:write", "users:read", "users:read.email")


@dataclass(frozen=True)
class SlackTeams:
    """The Slack teams (workspaces) zoomcal serves. Installs and requests from any other are refused."""

    allowed: frozenset[str]
    home: str  # the team whose token posts to the audit channel

    def __contains__(self, team_id: object) -> bool:
        return team_id in self.allowed


async def slack_teams(settings: Settings, client: AsyncWebClient) -> SlackTeams:
    """ZOOMCAL_SLACK_TEAMS (multi-workspace mode), or the one team of SLACK_BOT_TOKEN, asked once at start."""
    if settings.multi_workspace:
        return SlackTeams(frozenset(settings.slack_teams), settings.slack_teams[0])
    try:
        team = str((await client.auth_test()).get("team_id") or "")
    except SlackApiError as exc:
        if exc.response.get("error"):  # Slack's own answer: the token is what to fix
            raise SettingsError([f"SLACK_BOT_TOKEN: Slack refused it (auth.test: {exc.response.get('error')})"]) from None
        raise SettingsError([_unreachable(settings, f"it answered HTTP {exc.response.status_code}")]) from None
    except (SlackClientError, OSError, TimeoutError) as exc:
        raise SettingsError([_unreachable(settings, type(exc).__name__)]) from None
    if not team:
        raise SettingsError(["SLACK_BOT_TOKEN: Slack's auth.test named no team for it"])
    if settings.slack_teams and team not in settings.slack_teams:
        raise SettingsError(
            [f"ZOOMCAL_SLACK_TEAMS: does not include {team}, the team of SLACK_BOT_TOKEN (the only team it can serve)"]
        )
    return SlackTeams(frozenset({team}), team)


def _unreachable(settings: Settings, why: str) -> str:
    """Slack's API could not be asked. SLACK_API_URL is named only when it was set (a default that
    cannot be reached is this machine's network to fix, not a setting)."""
    url = settings.slack_api_url + "/"
    if settings.slack_api_url != SLACK_API_DEFAULT:
        return f"SLACK_API_URL: Slack's Web API could not be reached at {url} to check SLACK_BOT_TOKEN ({why})"
    return f"Slack could not be reached at {url} to check SLACK_BOT_TOKEN ({why}): check this machine's connection to Slack"


class WorkspaceGone(Exception):
    """The workspace uninstalled the app (or never installed it): there is no token to answer with."""


class Workspaces(Protocol):
    session: aiohttp.ClientSession  # the shared connection pool, for response_url answers too

    async def client(self, team_id: str) -> AsyncWebClient: ...

    def forget(self, team_id: str) -> None: ...


class SingleWorkspace:
    """SLACK_BOT_TOKEN mode: one workspace, one token."""

    def __init__(self, client: AsyncWebClient):
        self._client = client
        self.session = client.session

    async def client(self, team_id: str) -> AsyncWebClient:
        return self._client

    def forget(self, team_id: str) -> None:
        return None


@dataclass(frozen=True)
class _Cached:
    bot: Bot | None
    until: float


class InstalledWorkspaces(AsyncAuthorize):
    """Multi-workspace mode: each workspace's bot token from the (sealed) installation store.

    Bolt's default authorize reads the store and calls auth.test on every request. This reads the
    database once per workspace per ``ttl`` seconds and never calls auth.test. That is safe across
    replicas: uninstalls and revocations arrive as events that delete the rows (and drop this
    replica's entry), Slack refuses a revoked token anyway, so a replica whose entry is up to
    ``ttl`` old can at worst make a call that Slack rejects. Only workspaces bound to this bot's
    Zoom account are authorized.
    """

    def __init__(
        self,
        db: Database,
        store: AsyncInstallationStore,
        make_client: Callable[[str], AsyncWebClient],
        zoom_account_id: str,
        session: aiohttp.ClientSession,
        *,
        ttl: float = 60.0,
        miss_ttl: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._db = db
        self._store = store
        self._make_client = make_client
        self.session = session
        self._account = zoom_account_id
        self._ttl = ttl
        self._miss_ttl = miss_ttl
        self._clock = clock
        self._cache: dict[str, _Cached] = {}

    async def bot(self, team_id: str) -> Bot | None:
        now = self._clock()
        cached = self._cache.get(team_id)
        if cached is not None and cached.until > now:
            return cached.bot
        try:
            bot = await self._load(team_id)
        except DatabaseUnavailable:
            if cached is None:
                raise
            return cached.bot  # the database is out of reach: the token this replica last read still works
        if len(self._cache) > 10_000:  # grown large: drop what has expired
            self._cache = {k: v for k, v in self._cache.items() if v.until > now}
        self._cache[team_id] = _Cached(bot, now + (self._ttl if bot else self._miss_ttl))
        return bot

    async def _load(self, team_id: str) -> Bot | None:
        async with self._db.transaction() as repo:
            binding = await repo.workspaces.get(team_id)
        if binding is None or binding.zoom_account_id != self._account:
            return None
        try:  # the store reads the engine itself
            return await self._store.async_find_bot(enterprise_id=binding.enterprise_id, team_id=team_id)
        except DatabaseUnavailable:
            raise
        except Exception as error:
            if unreachable(error):
                raise DatabaseUnavailable(type(error).__name__) from error
            raise

    def forget(self, team_id: str) -> None:
        self._cache.pop(team_id, None)

    async def client(self, team_id: str) -> AsyncWebClient:
        bot = await self.bot(team_id)
        if bot is None or not bot.bot_token:
            raise WorkspaceGone(team_id)
        return self._make_client(bot.bot_token)

    async def __call__(self, *, context, enterprise_id, team_id, user_id, **_actor) -> AuthorizeResult | None:
        bot = await self.bot(team_id) if team_id else None
        if bot is None:
            return None  # Bolt answers "install this app" and runs no listener
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            team=bot.team_name,
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )
