"""SQL of installed Slack workspaces (multi-workspace mode): bindings and forgetting."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import column, delete, or_, table, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConsentRequest, SlackWorkspace, utcnow

# slack_sdk's store tables, as far as forgetting a workspace needs them.
_INSTALLATIONS = table("slack_installations", column("team_id"), column("enterprise_id"))
_BOTS = table("slack_bots", column("team_id"), column("enterprise_id"))
_OAUTH_STATES = table("slack_oauth_states", column("expire_at"))


class WorkspaceRepository:
    def __init__(self, session: AsyncSession, insert_for):
        self.session = session
        self._insert = insert_for

    async def get(self, workspace_id: str) -> SlackWorkspace | None:
        return await self.session.get(SlackWorkspace, workspace_id, populate_existing=True)

    async def bind(self, workspace: SlackWorkspace) -> None:
        """Binds (or re-binds, on reinstall) a workspace to a Zoom account configuration."""
        values = {
            "enterprise_id": workspace.enterprise_id,
            "team_name": workspace.team_name,
            "zoom_account_id": workspace.zoom_account_id,
            "installed_by": workspace.installed_by,
            "installed_at": workspace.installed_at or utcnow(),
        }
        await self.session.execute(
            self._insert(SlackWorkspace)
            .values(workspace_id=workspace.workspace_id, **values)
            .on_conflict_do_update(index_elements=["workspace_id"], set_=values)
        )

    async def forget(self, workspace_id: str, now: datetime | None = None) -> int:
        """Deletes a workspace's installation, bot tokens and binding, and cancels its open consent links.

        Returns how many rows went. Integrations and audit events belong to the Zoom account
        (other workspaces may share it), so they stay.
        """
        now = now or utcnow()
        gone = 0
        for store_table in (_INSTALLATIONS, _BOTS):
            match = or_(store_table.c.team_id == workspace_id, store_table.c.enterprise_id == workspace_id)
            gone += (await self.session.execute(delete(store_table).where(match))).rowcount or 0
        result = await self.session.execute(delete(SlackWorkspace).where(SlackWorkspace.workspace_id == workspace_id))
        gone += result.rowcount or 0
        await self.session.execute(
            update(ConsentRequest)
            .where(
                ConsentRequest.slack_team_id == workspace_id,
                ConsentRequest.used_at.is_(None),
                ConsentRequest.cancelled_at.is_(None),
            )
            .values(cancelled_at=now)
            .execution_options(synchronize_session=False)
        )
        return gone

    async def purge_oauth_states(self, now: datetime | None = None) -> int:
        """Deletes the Slack OAuth states that have expired (slack_sdk keeps expire_at as naive UTC)."""
        now = (now or utcnow()).astimezone(timezone.utc).replace(tzinfo=None)
        result = await self.session.execute(delete(_OAUTH_STATES).where(_OAUTH_STATES.c.expire_at < now))
        return result.rowcount or 0
