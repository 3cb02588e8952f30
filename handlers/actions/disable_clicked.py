""""Disable and Delete" (after Slack's confirm dialog): replace the message with the outcome."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.services import Services
from handlers.actions.clicks import Click
from handlers.blocks import messages


def disable_clicked(services: Services):
    async def handle(ack: AsyncAck, body: dict, respond: AsyncRespond) -> None:
        click = Click.read(body)
        scope = click.scope()
        await ack()
        # The clicker, not whoever ran the command: anyone who sees the button can click it.
        result = await services.disable.disable(click.actor, scope)
        await respond(replace_original=True, **messages.message(result))

    return handle
