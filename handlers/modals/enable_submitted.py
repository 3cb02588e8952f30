""""Authorize and Save": check the choices inside the ack, then request consent."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Actor
from bot.services.integrations import IntegrationService
from bot.services.results import ConsentLinkSent
from handlers import ids, views
from handlers.errors import MalformedPayload


def enable_submitted(service: IntegrationService):
    async def handle(ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient) -> None:
        try:
            actor = Actor(str(body["team"]["id"]), str(body["user"]["id"]))
            values = view["state"]["values"]
            view_id = str(view["id"])
        except (KeyError, TypeError):
            raise MalformedPayload("view_submission") from None
        scope = views.scope_from_metadata(view.get("private_metadata") or "")
        choices = views.choices_from_state(values)
        problems = service.check_choices(choices)
        if problems:
            await ack(response_action="errors", errors={ids.FIELD_BLOCKS[f]: m for f, m in problems.items()})
            return
        # Keep the modal open with a progress note; it shows the outcome once known.
        await ack(response_action="update", view=views.progress_modal(scope))

        result = await service.request_consent(actor, scope, choices)
        title = "Consent needed" if isinstance(result, ConsentLinkSent) else "Not enabled"
        try:
            await client.views_update(view_id=view_id, view=views.outcome_modal(title, result))
        except SlackApiError:
            # The admin closed the modal meanwhile; the DM (or its absence) still tells them.
            if not isinstance(result, ConsentLinkSent):
                await client.chat_postMessage(channel=actor.user_id, **views.message(result))

    return handle
