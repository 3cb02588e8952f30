"""The Home tab's buttons: Enable opens the enable modal, Disable disables, pages turn."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from bot.services.results import EnableForm
from handlers.actions.clicks import Click
from handlers.blocks import home, modals
from handlers.opening import open_modal


def home_enable_clicked(services: Services):
    async def handle(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        click = Click.read(body)
        scope = click.scope()
        await ack()
        answer = await open_modal(
            client, click.trigger_id, services.enable.prepare_for(click.actor, scope), EnableForm, modals.enable_modal
        )
        if answer is not None:  # refused, or Zoom failed: say so on the tab
            dashboard = await services.overview.dashboard(click.actor)
            await client.views_publish(user_id=click.actor.user_id, view=home.home_view(dashboard, answer))

    return handle


def home_disable_clicked(services: Services):
    async def handle(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        click = Click.read(body)
        scope = click.scope()
        await ack()
        result = await services.disable.disable(click.actor, scope)
        dashboard = await services.overview.dashboard(click.actor)
        await client.views_publish(user_id=click.actor.user_id, view=home.home_view(dashboard, result))

    return handle


def home_page_clicked(services: Services):
    async def handle(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        click = Click.read(body)
        _, _, page = click.page()
        await ack()
        dashboard = await services.overview.dashboard(click.actor, page)
        await client.views_publish(user_id=click.actor.user_id, view=home.home_view(dashboard))

    return handle
