"""Who may act, by Zoom's own role model (the Slack user's email names their Zoom user), plus bootstrap IDs.

- The account scope: an active Zoom user whose role is Owner or Admin (role id 0 or 1, never judged by
  name), or whose role's privileges include ``AccountSetting:Edit``.
- A group scope: those, users with ``Group:Edit``, and (ZOOMCAL_GROUP_ADMINS) that group's own group
  admins, for that group only.
- Reads not about one scope (``scope`` None: status, groups, audit, check): those who may change the
  account scope or hold ``Group:Edit``.

Zoom is asked only what the answer needs: a user's permissions only when their role is not 0/1, a
group's admins only when the setting is on, a group is at stake and nothing else allowed the user.

A role takes at least two calls to learn (Slack's users.info, which Slack allows about 100 times a
minute, and Zoom's user lookup). Reads may use what was learned within ``ROLE_TTL``, refusals
included, so a user repeating commands costs no outbound calls; every change asks again (``fresh``)
and refreshes what reads see. Concurrent lookups of one user (or of one user and group) share one call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Container
from contextlib import aclosing
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from bot.clients.slack import user_email
from bot.clients.zoom import ACCOUNT_SETTINGS_EDIT, ADMIN_ROLE_ID, GROUPS_EDIT, OWNER_ROLE_ID, ZoomClient, ZoomUser
from bot.domain import Actor, Scope
from bot.workspaces import WorkspaceGone, Workspaces

# How long a role answers reads: so a demoted admin can still read status for up to a minute
# (on each replica), while a busy admin costs two outbound calls a minute, not two a command.
ROLE_TTL = 60.0
_MAX_KNOWN = 10_000  # past this, expired entries are dropped

AS_OWNER_OR_ADMIN = "as Zoom owner or admin"
AS_BOOTSTRAP = "as bootstrap admin"


@dataclass(frozen=True)
class Grant:
    """Why a user may act: ``basis`` is the phrase the audit trail records (e.g. "as bootstrap admin")."""

    basis: str


class Reach(Enum):
    """What a user may run at most, for `help` (a group admin's groups are known only group by group)."""

    ACCOUNT = "account"  # everything
    GROUPS = "groups"  # the reads and every group, not the account (Group:Edit)
    OWN_GROUPS = "own groups"  # a group's commands, for the groups whose group admin they are (if any)
    NOTHING = "nothing"


@dataclass(frozen=True)
class Standing:
    """What Zoom says of a Slack user: their active Zoom user (None: none, or not active) and the
    privileges of their role (empty when not asked: an owner or admin needs none)."""

    user: ZoomUser | None
    permissions: frozenset[str] = frozenset()

    @property
    def owner_or_admin(self) -> bool:
        return self.user is not None and self.user.role_id in (OWNER_ROLE_ID, ADMIN_ROLE_ID)

    def account_basis(self) -> str | None:
        if self.owner_or_admin:
            return AS_OWNER_OR_ADMIN
        if ACCOUNT_SETTINGS_EDIT in self.permissions:
            return f"with {ACCOUNT_SETTINGS_EDIT}"
        return None

    def groups_basis(self) -> str | None:
        """Every group (and the reads): the account's basis, or Group:Edit."""
        found = self.account_basis()
        if found is None and GROUPS_EDIT in self.permissions:
            found = f"with {GROUPS_EDIT}"
        return found


NOBODY = Standing(None)

K = TypeVar("K")
V = TypeVar("V")


class _Lookups(Generic[K, V]):
    """Answers remembered for ``ttl`` seconds; concurrent askers of one key share one call."""

    def __init__(self, ttl: float, clock: Callable[[], float]):
        self._ttl = ttl
        self._clock = clock
        self._known: dict[K, tuple[V, float]] = {}
        self._asking: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K, fresh: bool, ask: Callable[[], Awaitable[V]]) -> V:
        if not fresh:
            found = self._known.get(key)
            if found is not None and found[1] > self._clock():
                return found[0]
        asking = self._asking.get(key)
        if asking is None or fresh:
            asking = asyncio.ensure_future(ask())
            self._asking[key] = asking
            asking.add_done_callback(lambda done: self._asked(key, done))
        # Shielded: a caller that stops waiting (a timed-out ack) leaves the lookup to the others.
        return await asyncio.shield(asking)

    def _asked(self, key: K, done: asyncio.Future[V]) -> None:
        if self._asking.get(key) is not done:
            return  # a newer lookup (a change's fresh one) started meanwhile: its answer is the one to keep
        del self._asking[key]
        if done.cancelled() or done.exception() is not None:
            return  # failures are not remembered: the next command asks again
        now = self._clock()
        if len(self._known) >= _MAX_KNOWN:
            self._known = {k: v for k, v in self._known.items() if v[1] > now}
        self._known[key] = (done.result(), now + self._ttl)


def in_allowed_team(actor: Actor, teams: Container[str]) -> bool:
    """Only users of zoomcal's own Slack teams may act: a bootstrap ID counts there and nowhere else."""
    return actor.team_id in teams


class AccessPolicy:
    def __init__(
        self,
        workspaces: Workspaces,
        zoom: ZoomClient,
        bootstrap_admins: frozenset[str],
        teams: Container[str],
        *,
        group_admins: bool = False,
        ttl: float = ROLE_TTL,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._workspaces = workspaces
        self._zoom = zoom
        self._bootstrap = bootstrap_admins
        self._teams = teams
        self.group_admins = group_admins  # ZOOMCAL_GROUP_ADMINS
        self._standings: _Lookups[tuple[str, str], Standing] = _Lookups(ttl, clock)
        self._administers: _Lookups[tuple[str, str, str], bool] = _Lookups(ttl, clock)

    def team_allowed(self, actor: Actor) -> bool:
        """Whether ``actor``'s Slack team is one zoomcal serves (ZOOMCAL_SLACK_TEAMS, or the bot's own)."""
        return in_allowed_team(actor, self._teams)

    async def allowed(self, actor: Actor, scope: Scope | None, *, fresh: bool) -> Grant | None:
        """Whether ``actor`` may act on ``scope`` (None: a read not about one scope), and on what basis.

        None is a definite no. Raises UpstreamError when Slack or Zoom cannot answer. ``fresh``: ask
        Zoom now (every change does); otherwise what was learned within the TTL answers. Matches
        Slack user IDs, never display names.
        """
        if not in_allowed_team(actor, self._teams):
            return None  # no users.info or Zoom call for another team's user
        if actor.user_id in self._bootstrap:
            return Grant(AS_BOOTSTRAP)
        standing = await self.standing(actor, fresh=fresh)
        if scope is not None and scope.is_account:
            basis = standing.account_basis()
        else:
            basis = standing.groups_basis()
        if basis is None and scope is not None and not scope.is_account and self.group_admins:
            if standing.user is not None and await self._administers.get(
                (actor.team_id, actor.user_id, scope.group_id), fresh, lambda: self._is_group_admin(standing.user, scope)
            ):
                basis = f"as group admin of {scope.name}"
        return Grant(basis) if basis is not None else None

    async def is_admin(self, actor: Actor, *, fresh: bool = False) -> bool:
        """Whether ``actor`` may read everything (status, groups, audit, check): ``allowed`` with no scope."""
        return await self.allowed(actor, None, fresh=fresh) is not None

    async def reach(self, actor: Actor) -> Reach:
        """The most ``actor`` may run (for `help`), from what reads may use."""
        if not in_allowed_team(actor, self._teams):
            return Reach.NOTHING
        if actor.user_id in self._bootstrap:
            return Reach.ACCOUNT
        standing = await self.standing(actor)
        if standing.account_basis() is not None:
            return Reach.ACCOUNT
        if standing.groups_basis() is not None:
            return Reach.GROUPS
        return Reach.OWN_GROUPS if self.group_admins and standing.user is not None else Reach.NOTHING

    async def standing(self, actor: Actor, *, fresh: bool = False) -> Standing:
        return await self._standings.get((actor.team_id, actor.user_id), fresh, lambda: self._ask(actor))

    async def _ask(self, actor: Actor) -> Standing:
        try:
            slack = await self._workspaces.client(actor.team_id)
        except WorkspaceGone:
            return NOBODY  # uninstalled: nobody there may act
        email = await user_email(slack, actor.user_id)
        if not email:
            return NOBODY
        user = await self._zoom.user(email)
        if user is None or user.status != "active":
            return NOBODY
        if user.role_id in (OWNER_ROLE_ID, ADMIN_ROLE_ID):
            return Standing(user)  # nothing more to learn: their role allows everything
        return Standing(user, await self._zoom.permissions(user.id or user.email))

    async def _is_group_admin(self, user: ZoomUser, scope: Scope) -> bool:
        """Whether ``user`` is among the group's admins (Zoom lists them by group only: never every group)."""
        email = user.email.lower()
        async with aclosing(self._zoom.group_admins(scope.group_id)) as admins:
            async for admin_id, admin_email in admins:
                if (user.id and admin_id == user.id) or (email and admin_email == email):
                    return True  # the pages after this one are not read
        return False
