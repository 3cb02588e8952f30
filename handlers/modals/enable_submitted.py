""""Authorize and Save": check the choices inside the ack, then request consent."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from handlers import ids
from handlers.blocks import modals
from handlers.modals.submission import Submission, show_outcome


def enable_submitted(services: Services):
    async def handle(ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient) -> None:
        submission = Submission.read(body, view)
        scope = modals.scope_from_metadata(view.get("private_metadata"))
        choices = modals.choices_from_state(submission.values)
        problems = services.enable.check_choices(choices)
        if problems:
            await ack(response_action="errors", errors={ids.FIELD_BLOCKS[f]: m for f, m in problems.items()})
            return
        # Keep the modal open with a progress note; it shows the outcome once known.
        await ack(response_action="update", view=modals.progress_modal(scope))
        result = await services.enable.request_consent(submission.actor, scope, choices, submission.view_id)
        await show_outcome(client, submission, result)

    return handle
