"""Opening the App Home tab publishes the dashboard for that user."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.domain import Actor
from bot.jobs import JobQueue
from bot.services import Services
from bot.workspaces import Workspaces
from handlers.blocks import home
from handlers.replies import actor_data, actor_from

JOB = "home.open"


def app_home_opened(jobs: JobQueue):
    async def handle(ack: AsyncAck, event: dict, body: dict) -> None:
        # Bolt acks events before listeners run, so this job is saved just after the ack; a crash
        # in between loses one Home refresh, which the next visit to the tab redoes.
        user_id = str(event.get("user") or "")
        if event.get("tab", "home") == "home" and user_id:
            await jobs.submit(JOB, {"actor": actor_data(Actor(str(body.get("team_id") or ""), user_id))})
        await ack()

    return handle


def run_publish(services: Services, workspaces: Workspaces):
    async def run(payload: dict) -> None:
        actor = actor_from(payload["actor"])
        dashboard = await services.overview.dashboard(actor)
        client = await workspaces.client(actor.team_id)
        await client.views_publish(user_id=actor.user_id, view=home.home_view(dashboard))

    return run
