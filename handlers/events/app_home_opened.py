"""Opening the App Home tab publishes the dashboard for that user."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Actor
from bot.services import Services
from bot.tasks import Tasks
from handlers.blocks import home


def app_home_opened(services: Services, tasks: Tasks):
    async def handle(ack: AsyncAck, event: dict, body: dict, client: AsyncWebClient) -> None:
        user_id = str(event.get("user") or "")
        if event.get("tab", "home") == "home" and user_id:
            actor = Actor(str(body.get("team_id") or ""), user_id)
            # A read: if the replica dies before it is published, the next visit to the tab redoes it.
            tasks.spawn(publish(services, client, actor), "publish the Home tab")
        await ack()

    return handle


async def publish(services: Services, client: AsyncWebClient, actor: Actor) -> None:
    dashboard = await services.overview.dashboard(actor)
    await client.views_publish(user_id=actor.user_id, view=home.home_view(dashboard))
