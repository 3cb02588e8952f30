"""Who may act: Zoom account owners and admins (by the Slack user's email), plus bootstrap IDs.

A role takes two calls to learn (Slack's users.info, which Slack allows about 100 times a
minute, and Zoom's user lookup). Reads may use a role learned within ``ROLE_TTL``, refusals
included, so a user repeating commands costs no outbound calls; every change asks again
(``fresh``) and refreshes what reads see. Concurrent lookups of one user share one call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Container
from dataclasses import dataclass

from bot.clients.slack import user_email
from bot.clients.zoom import ZoomClient
from bot.domain import Actor, Scope
from bot.workspaces import WorkspaceGone, Workspaces

# How long a role answers reads: so a demoted admin can still read status for up to a minute
# (on each replica), while a busy admin costs two outbound calls a minute, not two a command.
ROLE_TTL = 60.0
_MAX_KNOWN = 10_000  # past this, expired entries are dropped


def in_allowed_team(actor: Actor, teams: Container[str]) -> bool:
    """Only users of zoomcal's own Slack teams may act: a bootstrap ID counts there and nowhere else."""
    return actor.team_id in teams


@dataclass(frozen=True)
class Grant:
    """Why a user may act: ``basis`` is the phrase the audit trail records (e.g. "as bootstrap admin")."""

    basis: str


class AccessPolicy:
    def __init__(
        self,
        workspaces: Workspaces,
        zoom: ZoomClient,
        bootstrap_admins: frozenset[str],
        teams: Container[str],
        *,
        ttl: float = ROLE_TTL,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._workspaces = workspaces
        self._zoom = zoom
        self._bootstrap = bootstrap_admins
        self._teams = teams
        self._ttl = ttl
        self._clock = clock
        self._known: dict[tuple[str, str], tuple[bool, float]] = {}  # (team, user) → (admin?, until)
        self._asking: dict[tuple[str, str], asyncio.Future[bool]] = {}

    def team_allowed(self, actor: Actor) -> bool:
        """Whether ``actor``'s Slack team is one zoomcal serves (ZOOMCAL_SLACK_TEAMS, or the bot's own)."""
        return in_allowed_team(actor, self._teams)

    async def allowed(self, actor: Actor, scope: Scope | None, *, fresh: bool) -> Grant | None:
        """Whether ``actor`` may act on ``scope`` (None: the commands that name no scope), and on
        what basis. None is a definite no; UpstreamError when Slack or Zoom cannot answer.

        ``fresh``: ask Zoom now (every change does); otherwise a role learned within the TTL answers.
        """
        if not in_allowed_team(actor, self._teams):
            return None  # no users.info or Zoom call for another team's user
        if actor.user_id in self._bootstrap:
            return Grant("as bootstrap admin")
        return Grant("as Zoom owner or admin") if await self._role(actor, fresh=fresh) else None

    async def is_admin(self, actor: Actor, *, fresh: bool = False) -> bool:
        """Deny by default. Matches Slack user IDs, never display names (``allowed`` without a scope)."""
        return await self.allowed(actor, None, fresh=fresh) is not None

    async def _role(self, actor: Actor, *, fresh: bool) -> bool:
        key = (actor.team_id, actor.user_id)
        if not fresh:
            found = self._known.get(key)
            if found is not None and found[1] > self._clock():
                return found[0]
        asking = self._asking.get(key)
        if asking is None or fresh:
            asking = asyncio.ensure_future(self._ask(actor))
            self._asking[key] = asking
            asking.add_done_callback(lambda done: self._asked(key, done))
        # Shielded: a caller that stops waiting (a timed-out ack) leaves the lookup to the others.
        return await asyncio.shield(asking)

    async def _ask(self, actor: Actor) -> bool:
        try:
            slack = await self._workspaces.client(actor.team_id)
        except WorkspaceGone:
            return False  # uninstalled: nobody there may act
        email = await user_email(slack, actor.user_id)
        if not email:
            return False
        user = await self._zoom.user(email)
        return user is not None and user.is_owner_or_admin

    def _asked(self, key: tuple[str, str], done: asyncio.Future[bool]) -> None:
        if self._asking.get(key) is done:
            del self._asking[key]
        if done.cancelled() or done.exception() is not None:
            return  # failures are not remembered: the next command asks again
        now = self._clock()
        if len(self._known) >= _MAX_KNOWN:
            self._known = {k: v for k, v in self._known.items() if v[1] > now}
        self._known[key] = (done.result(), now + self._ttl)
