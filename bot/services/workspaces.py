"""Multi-workspace mode: binding installed workspaces to the Zoom account, forgetting uninstalled ones."""

from __future__ import annotations

import logging
from collections.abc import Container

from slack_sdk.oauth.installation_store import Installation

from bot.services.base import ServiceBase
from storage.models import SlackWorkspace

log = logging.getLogger("zoomcal.services")

ORG_WIDE = "Org-wide installs are not supported: install zoomcal into each workspace."
NOT_ALLOWED = "zoomcal is not available for this Slack workspace: its operator has not allowed it."


def install_refusal(installation: Installation, teams: Container[str]) -> str | None:
    """Why an install is refused, or None. Asked before anything of it is stored.

    Only the teams of ZOOMCAL_SLACK_TEAMS may install. Org-wide (Enterprise Grid) installs are
    refused too: each workspace is bound on its own.
    """
    if installation.is_enterprise_install or not installation.team_id:
        return ORG_WIDE
    if installation.team_id not in teams:
        return NOT_ALLOWED
    return None


class WorkspaceService(ServiceBase):
    async def installed(self, installation: Installation, teams: Container[str]) -> str | None:
        """Binds a freshly installed workspace to this bot's Zoom account configuration.

        Returns why the install was refused (then nothing is bound), or None.
        """
        refusal = install_refusal(installation, teams)
        if refusal is not None:
            log.warning(
                "refused a Slack install: team %s, enterprise %s: %s",
                installation.team_id, installation.enterprise_id, refusal,
            )
            return refusal
        async with self.db.transaction() as repo:
            await repo.workspaces.bind(
                SlackWorkspace(
                    workspace_id=installation.team_id,
                    enterprise_id=installation.enterprise_id,
                    team_name=installation.team_name,
                    zoom_account_id=self.account_id,
                    installed_by=installation.user_id,
                    installed_at=None,
                )
            )
        self.deps.workspaces.forget(installation.team_id)
        log.info("workspace %s installed, bound to Zoom account %s", installation.team_id, self.account_id)
        return None

    async def uninstalled(self, team_id: str) -> None:
        """The app was uninstalled or its bot token revoked: delete that workspace's data.

        Its tokens, installation and binding go, and its open consent links stop working.
        Integrations stay: they are the Zoom account's, which other workspaces may manage too.
        """
        async with self.writing() as repo:  # its open consent links are cancelled
            gone = await repo.workspaces.forget(team_id)
        self.deps.workspaces.forget(team_id)
        log.info("workspace %s forgotten (%s rows deleted)", team_id, gone)
