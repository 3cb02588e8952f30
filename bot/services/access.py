"""Who may act: Zoom account owners and admins (by the Slack user's email), plus bootstrap IDs."""

from __future__ import annotations

from collections.abc import Container

from bot.clients.slack import user_email
from bot.clients.zoom import ZoomClient
from bot.domain import Actor
from bot.workspaces import WorkspaceGone, Workspaces


def in_allowed_team(actor: Actor, teams: Container[str]) -> bool:
    """Only users of zoomcal's own Slack teams may act: a bootstrap ID counts there and nowhere else."""
    return actor.team_id in teams


class AccessPolicy:
    def __init__(
        self, workspaces: Workspaces, zoom: ZoomClient, bootstrap_admins: frozenset[str], teams: Container[str]
    ):
        self._workspaces = workspaces
        self._zoom = zoom
        self._bootstrap = bootstrap_admins
        self._teams = teams

    async def is_admin(self, actor: Actor) -> bool:
        """Deny by default. Matches Slack user IDs, never display names."""
        if not in_allowed_team(actor, self._teams):
            return False  # no users.info or Zoom call for another team's user
        if actor.user_id in self._bootstrap:
            return True
        try:
            slack = await self._workspaces.client(actor.team_id)
        except WorkspaceGone:
            return False  # uninstalled: nobody there may act
        email = await user_email(slack, actor.user_id)
        if not email:
            return False
        user = await self._zoom.user(email)
        return user is not None and user.is_owner_or_admin
