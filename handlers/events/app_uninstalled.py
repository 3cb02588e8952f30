"""The app was uninstalled from a workspace: forget that workspace (the job runs the service)."""

from __future__ import annotations

import logging

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.jobs import JobQueue
from bot.services import Services
from storage.db import DatabaseUnavailable

JOB = "workspace.forget"
log = logging.getLogger(__name__)


def app_uninstalled(jobs: JobQueue):
    async def handle(ack: AsyncAck, body: dict) -> None:
        await forget_workspace(jobs, body)
        await ack()

    return handle


async def forget_workspace(jobs: JobQueue, body: dict) -> None:
    team_id = str(body.get("team_id") or "")
    if team_id:
        try:
            await jobs.submit(JOB, {"team_id": team_id}, lane=team_id)
        except DatabaseUnavailable:
            # Acked all the same (Slack would retry a failure only for minutes, and a 5xx is never
            # the answer); the workspace's tokens no longer work, so nothing can act for it meanwhile.
            log.warning("could not record that workspace %s uninstalled zoomcal: the database is unavailable", team_id)


def run_forget(services: Services):
    async def run(payload: dict) -> None:
        await services.workspaces.uninstalled(payload["team_id"])

    return run
