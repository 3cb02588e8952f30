"""Next / Previous on a status or groups listing: replace the message with that page."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.services import Services
from handlers.actions.clicks import Click
from handlers.blocks import messages


def page_clicked(services: Services):
    async def handle(ack: AsyncAck, body: dict, respond: AsyncRespond) -> None:
        click = Click.read(body)
        listing, query, page = click.page()
        await ack()
        if listing == "groups":
            result = await services.overview.groups(click.actor, query, page)
        else:
            result = await services.overview.status(click.actor, None, page)
        await respond(replace_original=True, **messages.message(result))

    return handle
