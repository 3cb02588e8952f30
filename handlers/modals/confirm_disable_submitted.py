""""Disable and Delete" in the configuration dialog's confirmation."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from handlers.blocks import modals
from handlers.modals.submission import Submission, show_outcome


def confirm_disable_submitted(services: Services):
    async def handle(ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient) -> None:
        submission = Submission.read(body, view)
        scope = modals.scope_from_metadata(view.get("private_metadata"))
        # Replace the whole stack with the outcome (the dialog underneath is done too).
        await ack(response_action="update", view=modals.progress_modal(scope))
        result = await services.disable.disable(submission.actor, scope)
        await show_outcome(client, submission, result)

    return handle
