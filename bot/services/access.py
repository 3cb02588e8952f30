"""Who may act: Zoom account owners and admins (by the Slack user's email), plus bootstrap IDs."""

from __future__ import annotations

from bot.clients.slack import user_email
from bot.clients.zoom import ZoomClient, is_admin_role
from bot.domain import Actor
from bot.workspaces import WorkspaceGone, Workspaces


class AccessPolicy:
    def __init__(self, workspaces: Workspaces, zoom: ZoomClient, bootstrap_admins: frozenset[str]):
        self._workspaces = workspaces
        self._zoom = zoom
        self._bootstrap = bootstrap_admins

    async def is_admin(self, actor: Actor) -> bool:
        """Deny by default. Matches Slack user IDs, never display names."""
        if actor.user_id in self._bootstrap:
            return True
        try:
            slack = await self._workspaces.client(actor.team_id)
        except WorkspaceGone:
            return False  # uninstalled: nobody there may act
        email = await user_email(slack, actor.user_id)
        if not email:
            return False
        return is_admin_role(await self._zoom.user_role(email))
