"""Next / Previous on a status or groups listing: replace the message with that page."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.services import Services
from bot.tasks import Tasks
from bot.workspaces import Workspaces
from handlers.actions.clicks import Click
from handlers.blocks import messages
from handlers.errors import MalformedPayload
from handlers.replies import reply


def page_clicked(services: Services, tasks: Tasks, workspaces: Workspaces):
    async def handle(ack: AsyncAck, body: dict) -> None:
        click = Click.read(body)
        listing, query, page = click.page()
        if not click.response_url:
            raise MalformedPayload("response_url")

        async def turn() -> None:  # a read: nothing to keep if the replica dies, the user clicks again
            if listing == "groups":
                result = await services.overview.groups(click.actor, query, page)
            else:
                result = await services.overview.status(click.actor, None, page)
            await reply(workspaces.session, click.response_url, messages.answer(result, replace=True))

        tasks.spawn(turn(), "turn a page")
        await ack()

    return handle
