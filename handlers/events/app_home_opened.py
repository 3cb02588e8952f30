"""Opening the App Home tab publishes the dashboard for that user."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Actor
from bot.services import Services
from handlers.blocks import home


def app_home_opened(services: Services):
    async def handle(event: dict, body: dict, client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = str(event.get("user") or "")
        if not user_id:
            return
        actor = Actor(str(body.get("team_id") or ""), user_id)
        dashboard = await services.overview.dashboard(actor)
        await client.views_publish(user_id=user_id, view=home.home_view(dashboard))

    return handle
